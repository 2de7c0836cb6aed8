import { act, render } from "@testing-library/react";
import { fromValue, makeSubject, map, never, pipe } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { describe, expect, it, vi } from "vitest";

import type { LinkDeltas } from "../../api/liveStats";
import { useLiveLinkDeltas } from "./Links";

const EUR = (amount: string) => ({ amount, currency: "EUR" });

function snapshot(clicks: number) {
  return { affiliateStats: { programId: "1", clicks, uniqueClicks: clicks, conversions: 0, earnings: EUR("0.00"), isSnapshot: true, delta: null } };
}

function delta(clicks: number, links: { linkId: string | null; clicks: number; earnings?: string }[]) {
  return {
    affiliateStats: {
      programId: "1",
      clicks,
      uniqueClicks: clicks,
      conversions: 0,
      earnings: EUR("0.00"),
      isSnapshot: false,
      delta: {
        clicks: links.reduce((sum, link) => sum + link.clicks, 0),
        uniqueClicks: 0,
        conversions: 0,
        earnings: EUR("0.00"),
        links: links.map((link) => ({ linkId: link.linkId, clicks: link.clicks, uniqueClicks: 0, conversions: 0, earnings: EUR(link.earnings ?? "0.00") })),
      },
    },
  };
}

function setup() {
  const ticks = makeSubject<ReturnType<typeof snapshot> | ReturnType<typeof delta>>();
  const client = {
    executeQuery: (operation: Operation) => fromValue({ operation, data: null, stale: false, hasNext: false }),
    executeMutation: () => never,
    executeSubscription: (operation: Operation) =>
      pipe(
        ticks.source,
        map((data) => ({ operation, data, stale: false, hasNext: true })),
      ),
  } as unknown as Client;
  const refresh = vi.fn();
  const seen: { deltas: LinkDeltas; reset: () => void }[] = [];
  function Probe() {
    const { deltas, reset } = useLiveLinkDeltas("1", refresh);
    seen.push({ deltas, reset });
    return null;
  }
  render(
    <Provider value={client}>
      <Probe />
    </Provider>,
  );
  return { ticks, refresh, latest: () => seen[seen.length - 1] };
}

describe("the links page's live counters", () => {
  it("adds each tick's per-link deltas to the links it read, without re-reading them", () => {
    const { ticks, refresh, latest } = setup();

    act(() => ticks.next(snapshot(5)));
    act(() => ticks.next(delta(6, [{ linkId: "7", clicks: 1 }])));
    act(() => ticks.next(delta(9, [{ linkId: "7", clicks: 2, earnings: "0.25" }, { linkId: "8", clicks: 1 }, { linkId: null, clicks: 0, earnings: "1.00" }])));

    expect(refresh).not.toHaveBeenCalled();
    expect(latest().deltas).toEqual({
      "7": { clicks: 3, uniqueClicks: 0, conversions: 0, earnings: EUR("0.25") },
      "8": { clicks: 1, uniqueClicks: 0, conversions: 0, earnings: EUR("0.00") },
    });

    act(() => latest().reset()); // the links were read again: they hold those clicks now
    expect(latest().deltas).toEqual({});
  });

  it("reads the links again after a reconnection (a second snapshot), and drops the deltas", () => {
    const { ticks, refresh, latest } = setup();

    act(() => ticks.next(snapshot(5)));
    act(() => ticks.next(delta(6, [{ linkId: "7", clicks: 1 }])));
    act(() => ticks.next(snapshot(8)));

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(latest().deltas).toEqual({});
  });
});
