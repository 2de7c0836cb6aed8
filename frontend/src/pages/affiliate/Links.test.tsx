import { act, render } from "@testing-library/react";
import { fromValue, makeSubject, map, never, pipe } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LIVE_REFRESH_DELAY_MS, useLiveRefresh } from "./Links";

type Tick = { clicks: number; uniqueClicks: number; conversions: number; earnings: { amount: string; currency: string } };

function tick(clicks: number): { data: { affiliateStats: Tick & { programId: string } } } {
  return { data: { affiliateStats: { programId: "1", clicks, uniqueClicks: clicks, conversions: 0, earnings: { amount: "0.00", currency: "EUR" } } } };
}

function Probe({ onRefresh }: { onRefresh: () => void }) {
  useLiveRefresh("1", onRefresh);
  return null;
}

describe("the links page's live counters", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("re-reads the links once per burst of ticks, not for the first (current) one", () => {
    const ticks = makeSubject<ReturnType<typeof tick>>();
    const client = {
      executeQuery: (operation: Operation) => fromValue({ operation, data: null, stale: false, hasNext: false }),
      executeMutation: () => never,
      executeSubscription: (operation: Operation) =>
        pipe(
          ticks.source,
          map((value) => ({ operation, data: value.data, stale: false, hasNext: true })),
        ),
    } as unknown as Client;
    const refresh = vi.fn();
    render(
      <Provider value={client}>
        <Probe onRefresh={refresh} />
      </Provider>,
    );

    act(() => ticks.next(tick(5)));
    act(() => vi.advanceTimersByTime(LIVE_REFRESH_DELAY_MS * 2));
    expect(refresh).not.toHaveBeenCalled();

    act(() => ticks.next(tick(6)));
    act(() => ticks.next(tick(7)));
    act(() => ticks.next(tick(7)));
    act(() => vi.advanceTimersByTime(LIVE_REFRESH_DELAY_MS));
    expect(refresh).toHaveBeenCalledTimes(1);

    act(() => ticks.next(tick(9)));
    act(() => vi.advanceTimersByTime(LIVE_REFRESH_DELAY_MS));
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
