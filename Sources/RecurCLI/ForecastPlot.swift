import Foundation
import Recur

/// A forecast as an SVG picture, one panel per target: the end of the history (black), the point
/// forecast (red) and, for a quantile model, each interval between symmetric quantiles as a band.
enum ForecastPlot {
    static func svg(table: TimeSeriesTable, forecast: [[[Double]]], configuration c: ForecasterConfiguration, times: [String]) -> String {
        let width = 760.0, panelHeight = 300.0, left = 72.0, right = 24.0, top = 34.0, bottom = 44.0
        let steps = forecast.count
        let shown = min(table.count, max(4 * steps, c.context, 24))
        let first = table.count - shown
        let total = Double(shown + steps)
        let height = Double(c.targetCount) * panelHeight
        func x(_ i: Int) -> Double { left + (width - left - right) * Double(i) / max(total - 1, 1) }
        func label(_ row: Int) -> String {
            if row < table.count { return table.time.map { $0.text($0.values[row]) } ?? String(row + 1) }
            return times[row - table.count]
        }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        let bands = c.loss == .pinball ? (0..<c.medianIndex).map { ($0, c.quantiles.count - 1 - $0) }.filter { $0.1 > c.medianIndex } : []
        for s in 0..<c.targetCount {
            let y0 = Double(s) * panelHeight
            let history = Array(table.targets[s][first...])
            var values = history + forecast.map { $0[s][c.medianIndex] }
            for (low, high) in bands { values += forecast.map { $0[s][low] } + forecast.map { $0[s][high] } }
            let finite = values.filter(\.isFinite)
            var low = finite.min() ?? 0, high = finite.max() ?? 1
            if high - low < 1e-12 { high = low + 1 }
            let pad = 0.05 * (high - low)
            low -= pad
            high += pad
            func y(_ v: Double) -> Double { y0 + top + (panelHeight - top - bottom) * (1 - (v - low) / (high - low)) }
            func points(_ list: [(Int, Double)]) -> String {
                list.filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            }
            svg += "<text x=\"\(left)\" y=\"\(y0 + 20)\" font-weight=\"bold\">\(escape(c.targetNames[s]))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y0 + panelHeight - bottom)\" x2=\"\(width - right)\" y2=\"\(y0 + panelHeight - bottom)\" stroke=\"black\"/>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y0 + top)\" x2=\"\(left)\" y2=\"\(y0 + panelHeight - bottom)\" stroke=\"black\"/>\n"
            for i in 0...4 {
                let v = low + (high - low) * Double(i) / 4
                svg += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", left - 6, y(v) + 4, v)
            }
            for (row, anchor) in [(first, "start"), (table.count - 1, "middle"), (table.count + steps - 1, "end")] {
                svg += "<text x=\"\(String(format: "%.1f", x(row - first)))\" y=\"\(Int(y0 + panelHeight - bottom + 18))\" text-anchor=\"\(anchor)\">\(escape(label(row)))</text>\n"
            }
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
                          x(shown - 1), y0 + top, x(shown - 1), y0 + panelHeight - bottom)
            for (k, (lowQ, highQ)) in bands.enumerated() {
                let upper = (0..<steps).map { (shown + $0, forecast[$0][s][highQ]) }
                let lower = (0..<steps).reversed().map { (shown + $0, forecast[$0][s][lowQ]) }
                svg += "<polygon fill=\"#d62728\" fill-opacity=\"\(0.12 + 0.08 * Double(k))\" stroke=\"none\" points=\"\(points(upper + lower))\"/>\n"
            }
            let tail = [(shown - 1, history[history.count - 1])]
            svg += "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"1.5\" points=\"\(points(history.enumerated().map { ($0.offset, $0.element) }))\"/>\n"
            svg += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"\(points(tail + (0..<steps).map { (shown + $0, forecast[$0][s][c.medianIndex]) }))\"/>\n"
            let legend = bands.isEmpty ? "history, forecast" : "history, forecast (median), "
                + bands.map { "\(Int((c.quantiles[$0.1] - c.quantiles[$0.0]) * 100 + 0.5))%" }.joined(separator: " and ") + " interval"
            svg += "<text x=\"\(width - right)\" y=\"\(y0 + 20)\" text-anchor=\"end\" fill=\"#555\">\(escape(legend))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
