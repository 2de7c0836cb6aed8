/** The dashboard's live chart: recharts (and d3) load with this module only, after the page's
 * figures are on screen (Dashboard imports it lazily). */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useI18n } from "../../i18n";
import { useThemeColors } from "../../theme/useThemeColors";

/** How many of the latest readings the chart's text alternative lists. */
const CHART_TABLE_ROWS = 10;

export interface Point {
  time: number;
  clicks: number;
  uniqueClicks: number;
  conversions: number;
}

export default function LiveChart({ points }: { points: Point[] }) {
  const i18n = useI18n();
  const colors = useThemeColors();
  const time = new Intl.DateTimeFormat(i18n.locale, { timeStyle: "medium" });
  // The drawing is for the eyes; screen readers get the same numbers as a table (the latest
  // readings, newest first), which a role="img" label alone could not carry.
  const latest = points.slice(-CHART_TABLE_ROWS).reverse();
  return (
    <figure className="chart-figure">
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke={colors.border} strokeDasharray="3 3" />
            <XAxis
              dataKey="time"
              type="number"
              domain={["dataMin", "dataMax"]}
              tickFormatter={(value: number) => time.format(value)}
              stroke={colors.mutedText}
              fontSize={12}
            />
            <YAxis allowDecimals={false} stroke={colors.mutedText} fontSize={12} width={40} />
            <Tooltip
              labelFormatter={(value) => time.format(Number(value))}
              contentStyle={{ background: colors.surface, border: `1px solid ${colors.border}`, color: colors.text }}
            />
            <Legend />
            <Line type="stepAfter" dataKey="clicks" name={i18n.t("stats.clicks")} stroke={colors.primary} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line type="stepAfter" dataKey="uniqueClicks" name={i18n.t("stats.uniqueClicks")} stroke={colors.accent} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line type="stepAfter" dataKey="conversions" name={i18n.t("stats.conversions")} stroke={colors.text} strokeWidth={1} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <table className="visually-hidden" data-testid="chart-table">
        <caption>{i18n.t("dashboard.chartLabel")}</caption>
        <thead>
          <tr>
            <th scope="col">{i18n.t("dashboard.chartTime")}</th>
            <th scope="col">{i18n.t("stats.clicks")}</th>
            <th scope="col">{i18n.t("stats.uniqueClicks")}</th>
            <th scope="col">{i18n.t("stats.conversions")}</th>
          </tr>
        </thead>
        <tbody>
          {latest.map((point) => (
            <tr key={point.time}>
              <th scope="row">{time.format(point.time)}</th>
              <td>{i18n.number(point.clicks)}</td>
              <td>{i18n.number(point.uniqueClicks)}</td>
              <td>{i18n.number(point.conversions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
