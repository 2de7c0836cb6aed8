import { afterEach, describe, expect, it, vi } from "vitest";

import { appContainer, counterpart, dropServerHead, pageReady, prerenderShowing } from "./prerender";

afterEach(() => {
  document.body.innerHTML = "";
  document.head.innerHTML = "";
  vi.useRealTimers();
});

describe("the takeover of a prerendered page", () => {
  it("renders the app into #root when Django prerendered nothing", () => {
    document.body.innerHTML = '<div id="root"></div>';

    const container = appContainer();

    expect(container.id).toBe("root");
    expect(prerenderShowing()).toBe(false);
  });

  it("keeps the prerendered page on screen until the app's page is ready, then swaps in one frame", async () => {
    document.body.innerHTML = '<div id="root" data-prerendered=""><h1>Sunset cruise</h1></div>';

    const container = appContainer();
    container.innerHTML = "<h1>Sunset cruise</h1>";

    expect(container.hidden).toBe(true);
    expect(document.getElementById("root")!.textContent).toBe("Sunset cruise");
    expect(prerenderShowing()).toBe(true);
    pageReady();
    await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(document.getElementById("root")).toBeNull();
    expect(container.hidden).toBe(false);
    expect(document.querySelectorAll("h1")).toHaveLength(1);
    expect(prerenderShowing()).toBe(false);
  });

  it("moves the focus to the app's twin of the focused prerendered element", async () => {
    document.body.innerHTML =
      '<div id="root" data-prerendered=""><button type="button" class="icon-button menu-toggle">☰ Menu</button><a href="/deals">Deals</a></div>';
    const container = appContainer();
    container.innerHTML = '<button type="button" class="icon-button menu-toggle">☰ Menu</button><a href="/deals">Deals</a>';
    (document.querySelector("#root a") as HTMLElement).focus();

    pageReady();
    await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(document.activeElement).toBe(container.querySelector("a"));
  });

  it("finds a button's twin by its class and text", () => {
    document.body.innerHTML = '<div id="root" data-prerendered=""><button class="menu-toggle">Menu</button></div>';
    const container = appContainer();
    container.innerHTML = '<button class="other">Menu</button><button class="menu-toggle">Menu</button>';

    expect(counterpart(document.querySelector("#root button") as HTMLElement, container)).toBe(container.querySelectorAll("button")[1]);
  });

  it("swaps anyway when the page never says it is ready", () => {
    vi.useFakeTimers();
    document.body.innerHTML = '<div id="root" data-prerendered=""><p>old</p></div>';

    const container = appContainer();
    vi.advanceTimersByTime(8000);

    expect(document.getElementById("root")).toBeNull();
    expect(container.hidden).toBe(false);
  });

  it("drops the server's head tags, and only those", () => {
    document.head.innerHTML =
      '<meta data-head="server" name="description" content="x"><link data-head="server" rel="canonical" href="/a"><meta name="viewport" content="y">';

    dropServerHead();

    expect(document.head.querySelectorAll("[data-head]")).toHaveLength(0);
    expect(document.head.querySelector('meta[name="viewport"]')).not.toBeNull();
  });
});
