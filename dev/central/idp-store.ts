/**
 * oidc-provider's storage adapter: plain in-memory maps with expiry. Dev central is meant to
 * forget everything on restart; this replaces the built-in adapter (same behaviour) so the
 * provider does not print its production warning, and so two providers in one process (tests)
 * share nothing.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Stored {
  payload: AdapterPayload;
  expiresAt: number;
}

/** A new adapter class with its own storage, for one provider. */
export function memoryAdapter(): new (model: string) => Adapter {
  const models = new Map<string, Map<string, Stored>>();
  const byGrant = new Map<string, { model: string; id: string }[]>();

  return class MemoryAdapter implements Adapter {
    private readonly items: Map<string, Stored>;

    constructor(private readonly model: string) {
      let items = models.get(model);
      if (!items) models.set(model, (items = new Map()));
      this.items = items;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      this.items.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
      if (payload.grantId) {
        const refs = byGrant.get(payload.grantId) ?? [];
        refs.push({ model: this.model, id });
        byGrant.set(payload.grantId, refs);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const item = this.items.get(id);
      if (!item) return undefined;
      if (item.expiresAt <= Date.now()) {
        this.items.delete(id);
        return undefined;
      }
      return item.payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      for (const [id, item] of this.items) if (item.payload.userCode === userCode) return this.find(id);
      return undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      for (const [id, item] of this.items) if (item.payload.uid === uid) return this.find(id);
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const item = this.items.get(id);
      if (item) item.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      this.items.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const ref of byGrant.get(grantId) ?? []) models.get(ref.model)?.delete(ref.id);
      byGrant.delete(grantId);
    }
  };
}
