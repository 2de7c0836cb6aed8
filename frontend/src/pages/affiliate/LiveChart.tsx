/** The dashboard's live chart: recharts (and d3) load with this module only, after the page's
 * figures are on screen (Dashboard imports it lazily). */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useI18n } from "../../i18n";
import { useThemeColors } from "../../theme/useThemeColors";

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
  return (
    <div className="chart" role="img" aria-label={i18n.t("dashboard.chartLabel")}>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
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
  );
}
