import { type SecretStore } from '@kongflow/secretstore';
import { z } from 'zod';

/** What the platform keeps for each organisation's GitHub App installation. */
export const GitHubInstallation = z.object({
  installationId: z.number().int().positive(),
  accessToken: z.string().min(1),
  expiresAt: z.iso.datetime(),
  scopes: z.array(z.string()),
});
export type GitHubInstallation = z.infer<typeof GitHubInstallation>;

const keyFor = (orgId: string) => `oauth.github.${orgId}`;

/** A small piece of platform code built on the secret store. */
export class GitHubConnections {
  constructor(
    private readonly store: SecretStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async connect(orgId: string, installation: GitHubInstallation): Promise<void> {
    await this.store.setSecret(keyFor(orgId), GitHubInstallation.parse(installation));
  }

  /** The access token, or undefined when the org is not connected or its token has expired. */
  async accessToken(orgId: string): Promise<string | undefined> {
    const installation = await this.store.getSecret(GitHubInstallation, keyFor(orgId));
    if (!installation || new Date(installation.expiresAt) <= this.now()) return undefined;
    return installation.accessToken;
  }

  /** Organisations with a stored installation. */
  async connectedOrgs(): Promise<string[]> {
    const entries = await this.store.getSecrets(GitHubInstallation, 'oauth.github.');
    return entries.map((entry) => entry.key.slice('oauth.github.'.length));
  }

  /** Replaces a token and drops the org's cached webhook secret in one transaction. */
  async refresh(orgId: string, accessToken: string, expiresAt: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const current = await tx.getSecretOrThrow(GitHubInstallation, keyFor(orgId));
      await tx.setSecret(keyFor(orgId), { ...current, accessToken, expiresAt });
      await tx.deleteSecret(`webhook.github.${orgId}`);
    });
  }
}
