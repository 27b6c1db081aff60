import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CheckoutPool } from "../../action/engine/checkout-pool.ts";

const ROOT = "/nonexistent/state/agents";

describe("CheckoutPool leases", () => {
  it("hands out each checkout once, named by its kind, until it is released", async () => {
    const pool = new CheckoutPool(ROOT, 2, "rebase");
    const a = await pool.take();
    const b = await pool.take();
    expect([a.name, b.name]).toEqual(["rebase 0", "rebase 1"]);
    expect([a.checkout.root, b.checkout.root]).toEqual([join(ROOT, "0"), join(ROOT, "1")]);
    let third: string | null = null;
    const waiting = pool.take().then((lease) => {
      third = lease.name;
      return lease;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBeNull();
    b.release();
    expect((await waiting).checkout).toBe(b.checkout);
    expect(third).toBe("rebase 1");
  });

  it("serves those waiting in the order they asked", async () => {
    const pool = new CheckoutPool(ROOT, 1);
    const first = await pool.take();
    const order: number[] = [];
    const later = [1, 2, 3].map((n) =>
      pool.take().then((lease) => {
        order.push(n);
        lease.release();
      }),
    );
    first.release();
    await Promise.all(later);
    expect(order).toEqual([1, 2, 3]);
  });

  it("throws on a second release, and the checkout is not handed out twice", async () => {
    const pool = new CheckoutPool(ROOT, 1);
    const lease = await pool.take();
    lease.release();
    expect(lease.released).toBe(true);
    expect(() => lease.release()).toThrow("the checkout agent 0 was released twice");
    const next = await pool.take();
    let another = false;
    void pool.take().then(() => {
      another = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    // Had the second release given it back again, a second taker would hold agent 0 too.
    expect(another).toBe(false);
    next.release();
  });

  it("is released at the end of a `using` block", async () => {
    const pool = new CheckoutPool(ROOT, 1);
    {
      using lease = await pool.take();
      expect(lease.released).toBe(false);
    }
    const again = await Promise.race([
      pool.take(),
      new Promise<null>((r) => setTimeout(() => r(null), 100)),
    ]);
    expect(again?.name).toBe("agent 0");
  });
});
