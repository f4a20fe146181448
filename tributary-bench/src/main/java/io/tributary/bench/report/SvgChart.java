package io.tributary.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A hand-written SVG line chart: one polyline with dots per series, linear or log axes, a legend.
 * Enough for throughput-vs-size and latency CDFs without a plotting library. Build, then
 * {@link #render()}; one thread.
 */
public final class SvgChart {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
      "#7f7f7f"};
  private static final int WIDTH_PX = 720;
  private static final int HEIGHT_PX = 420;
  private static final int LEFT_PX = 70;
  private static final int RIGHT_PX = 190;
  private static final int TOP_PX = 40;
  private static final int BOTTOM_PX = 50;

  /** A named line; points are {x, y} in data units. */
  public record Series(String name, List<double[]> points) {}

  /** An axis tick: position in data units and its text. */
  public record Tick(double at, String text) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final boolean logX;
  private final boolean logY;
  private final List<Series> series = new ArrayList<>();
  private List<Tick> xTicks;

  public SvgChart(String title, String xLabel, String yLabel, boolean logX, boolean logY) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.logX = logX;
    this.logY = logY;
  }

  public SvgChart add(Series s) {
    if (!s.points().isEmpty()) {
      series.add(s);
    }
    return this;
  }

  /** Fixed x ticks (e.g. percentiles on a CDF); otherwise they are computed. */
  public SvgChart xTicks(List<Tick> ticks) {
    this.xTicks = ticks;
    return this;
  }

  public boolean isEmpty() {
    return series.isEmpty();
  }

  public String render() {
    double[] xr = range(0, logX);
    double[] yr = range(1, logY);
    if (!logY) {
      yr[0] = Math.min(0, yr[0]);
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH_PX, HEIGHT_PX, WIDTH_PX, HEIGHT_PX));
    sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH_PX, HEIGHT_PX));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
        LEFT_PX, esc(title)));
    int plotW = WIDTH_PX - LEFT_PX - RIGHT_PX;
    int plotH = HEIGHT_PX - TOP_PX - BOTTOM_PX;
    sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
        LEFT_PX, TOP_PX, plotW, plotH));
    for (Tick t : xTicks != null ? xTicks : ticks(xr, logX)) {
      double px = LEFT_PX + plotW * frac(t.at(), xr, logX);
      sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, TOP_PX, px, TOP_PX + plotH, px,
          TOP_PX + plotH + 16, esc(t.text())));
    }
    for (Tick t : ticks(yr, logY)) {
      double py = TOP_PX + plotH * (1 - frac(t.at(), yr, logY));
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT_PX, py, LEFT_PX + plotW, py, LEFT_PX - 6,
          py + 4, esc(t.text())));
    }
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
        LEFT_PX + plotW / 2, HEIGHT_PX - 10, esc(xLabel)));
    sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>%n",
        TOP_PX + plotH / 2, TOP_PX + plotH / 2, esc(yLabel)));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      String color = COLORS[i % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (double[] p : s.points()) {
        double px = LEFT_PX + plotW * frac(p[0], xr, logX);
        double py = TOP_PX + plotH * (1 - frac(p[1], yr, logY));
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", px, py, color));
      }
      sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
          color, pts.toString().trim()));
      int ly = TOP_PX + 10 + 20 * i;
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
          + "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT_PX + plotW + 12, ly, LEFT_PX + plotW + 32, ly, color,
          LEFT_PX + plotW + 38, ly + 4, esc(s.name())));
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  /** Min and max over all points of one coordinate, padded so a single value still spans a range. */
  private double[] range(int coord, boolean log) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (Series s : series) {
      for (double[] p : s.points()) {
        double v = p[coord];
        if (log && v <= 0) {
          continue;
        }
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (coord == 0 && xTicks != null) {
      for (Tick t : xTicks) {
        lo = Math.min(lo, t.at());
        hi = Math.max(hi, t.at());
      }
    }
    if (lo == Double.MAX_VALUE) {
      return new double[] {log ? 1 : 0, log ? 10 : 1};
    }
    if (log) {
      return new double[] {Math.pow(10, Math.floor(Math.log10(lo))), Math.pow(10, Math.ceil(Math.log10(hi * 1.0001)))};
    }
    if (hi == lo) {
      hi = lo + 1;
    }
    return new double[] {lo, hi + (hi - lo) * 0.05};
  }

  private static double frac(double v, double[] r, boolean log) {
    if (log) {
      double lv = Math.log10(Math.max(v, r[0]));
      return (lv - Math.log10(r[0])) / (Math.log10(r[1]) - Math.log10(r[0]));
    }
    return (v - r[0]) / (r[1] - r[0]);
  }

  private static List<Tick> ticks(double[] r, boolean log) {
    List<Tick> out = new ArrayList<>();
    if (log) {
      int decades = (int) Math.round(Math.log10(r[1] / r[0]));
      for (double d = r[0]; d <= r[1] * 1.0001; d *= 10) {
        out.add(new Tick(d, fmt(d)));
        if (decades <= 2) {
          for (double m : new double[] {2, 5}) {
            if (d * m < r[1]) {
              out.add(new Tick(d * m, fmt(d * m)));
            }
          }
        }
      }
      return out;
    }
    double span = r[1] - r[0];
    double step = Math.pow(10, Math.floor(Math.log10(span / 5)));
    if (span / step > 10) {
      step *= span / step > 25 ? 5 : 2;
    }
    for (double v = Math.ceil(r[0] / step) * step; v <= r[1]; v += step) {
      out.add(new Tick(v, fmt(v)));
    }
    return out;
  }

  static String fmt(double v) {
    if (v >= 1_000_000 && v % 1_000_000 == 0) {
      return String.format(Locale.ROOT, "%.0fM", v / 1_000_000);
    }
    if (v >= 1000 && v % 1000 == 0) {
      return String.format(Locale.ROOT, "%.0fk", v / 1000);
    }
    if (v >= 10 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.2g", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
