// The parts of Chart.js the reports use: imported by name so that the bundle holds only these
// (the chart module is loaded on demand by charts.ts).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export { Chart };
