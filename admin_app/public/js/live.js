// Live screens: what a screen shows is read again every few seconds while the tab is visible
// (and at once when the tab becomes visible again), so a list follows changes without a reload;
// the browser revalidates each read by its ETag, so an unchanged answer costs a bodiless 304.
import { useEffect, useState } from "./vendor/preact-htm.js";

// read() returns a promise of what to show (or null: nothing to read yet); it runs when `deps`
// change and `ms` after each answer. An answer for a screen that has moved on is dropped; a failed read
// keeps what was shown and says why. reload() reads again now (after an action).
export function useLive(read, deps, ms = 5000) {
  const [data, setData] = useState(null);
  const [problem, setProblem] = useState(null);
  const [tick, setTick] = useState(0);
  const reload = () => setTick((n) => n + 1);
  const key = JSON.stringify(deps);
  useEffect(() => {
    setData(null); // another thing to show: never the last one's answer under its heading
    setProblem(null);
  }, [key]);
  useEffect(() => {
    let current = true;
    let timer = null;
    const visible = () => document.visibilityState === "visible" && reload();
    // The next read is timed from the end of this one: a slow answer never piles reads up.
    const next = () => {
      if (!current) return;
      timer = setTimeout(() => {
        if (document.visibilityState === "visible") reload();
        else document.addEventListener("visibilitychange", visible);
      }, ms);
    };
    const pending = read();
    if (pending) {
      pending
        .then(
          (d) => current && (setData(d), setProblem(null)),
          (e) => current && setProblem(e.message),
        )
        .finally(next);
    } else next();
    return () => {
      current = false;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [key, tick]);
  return { data, problem, reload };
}
