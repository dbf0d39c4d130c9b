// Stock value by category as a bar chart. Chart.js is loaded with the Reports screen only, never at sign-in.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "react";
import type { components } from "../api/schema";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

type CategoryValue = components["schemas"]["CategoryValue"];

export default function ValuationChart({ groups }: { groups: CategoryValue[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: groups.map((g) => g.category ?? "No category"),
        datasets: [{ label: "Value", data: groups.map((g) => Number(g.value)), backgroundColor: "#047857" }],
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
  }, [groups]);
  return (
    <div className="relative w-full" style={{ height: `${Math.max(160, groups.length * 36 + 40)}px` }}>
      <canvas ref={canvas} role="img" aria-label="Stock value by category" />
    </div>
  );
}
