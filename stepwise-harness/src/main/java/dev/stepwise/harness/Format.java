package dev.stepwise.harness;

import java.util.Locale;

/**
 * How the reports write numbers: three significant digits, NaN as "–", times and human scores in the
 * community experiment's words ("Average time 129.90 s per picture", "Average score 14.03 out of 17.25").
 */
public final class Format {
    /** What a report shows for a figure that does not apply or was not measured. */
    public static final String NONE = "–";

    private Format() {
    }

    /** Three significant digits ("0.0123", "1.90", "12.3", "1234"), scientific below 0.001, NaN as "–". */
    public static String number(double v) {
        if (Double.isNaN(v)) {
            return NONE;
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "∞" : "-∞";
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a < 1e-3 || a >= 1e9) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        int decimals = Math.max(0, 2 - (int) Math.floor(Math.log10(a)));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Seconds as the experiment wrote them: two decimals from 1 s up ("129.90"), else three significant digits. */
    public static String seconds(double v) {
        if (Double.isFinite(v) && Math.abs(v) >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return number(v);
    }

    /** A fraction as a percentage with no decimals ("94%"). */
    public static String percent(double v) {
        return Double.isNaN(v) ? NONE : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    /** "average score 14.03 out of 17.25", or "–" when no image was fully scored. */
    public static String averageScore(Summary.HumanScore h) {
        if (h == null || h.images() == 0) {
            return NONE;
        }
        return String.format(Locale.ROOT, "average score %.2f out of %s", h.average(), twoDecimalsOrWhole(h.averagePossible()));
    }

    /** "total score 449 out of 552", or "–" when no image was fully scored. */
    public static String totalScore(Summary.HumanScore h) {
        if (h == null || h.images() == 0) {
            return NONE;
        }
        return "total score " + h.total() + " out of " + h.possible();
    }

    /**
     * One configuration in the experiment's words: "Average score 14.03 out of 17.25 / Total score 449 out of
     * 552 / Average time 129.90 s per picture / Average time normalized 125.87 s per picture" (the scores only
     * when images were scored).
     */
    public static String experimentLine(Summary.Row row) {
        StringBuilder b = new StringBuilder();
        if (row.human() != null && row.human().images() > 0) {
            b.append(capitalize(averageScore(row.human()))).append(" / ").append(capitalize(totalScore(row.human())))
                    .append(" / ");
        }
        b.append("Average time ").append(seconds(row.time().mean())).append(" s per picture / Average time normalized ")
                .append(seconds(row.time().normalized())).append(" s per picture");
        return b.toString();
    }

    /** "17.25", and "17" rather than "17.00" when every image had the same number of criteria. */
    private static String twoDecimalsOrWhole(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
