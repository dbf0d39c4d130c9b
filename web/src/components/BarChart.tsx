// A horizontal bar chart (stock value by category, waste by reason). Only Chart.js's bar parts are
// registered, so the chunk stays small; it loads with the Reports screen, never at sign-in. The canvas is an
// image whose name carries every value, and the screen shows the same numbers as a table beside it.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "react";
import { chartLabel, type Bar } from "../lib/chart";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export default function BarChart({ title, bars, color }: { title: string; bars: Bar[]; color?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: bars.map((b) => b.label),
        datasets: [{ label: "Value", data: bars.map((b) => Number(b.value)), backgroundColor: color ?? "#047857" }],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [bars, color]);
  return (
    <div className="relative w-full" style={{ height: `${Math.max(160, bars.length * 36 + 40)}px` }}>
      <canvas ref={canvas} role="img" aria-label={chartLabel(title, bars)} />
    </div>
  );
}
