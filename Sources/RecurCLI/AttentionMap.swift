import Foundation

/// Attention weights as a heatmap: one panel per example, the source symbols along the top, the written
/// target symbols down the side, each cell's darkness its weight. SVG, or an HTML page holding the SVG.
enum AttentionMap {
    struct Panel {
        var source: [String]
        var target: [String]
        /// Per target step, its weights over the source steps.
        var weights: [[Float]]
    }

    static func svg(_ panels: [Panel]) -> String {
        let cell = 18.0, gap = 36.0, margin = 90.0
        var y = 12.0
        var body = ""
        var width = 0.0
        func shown(_ symbol: String) -> String { symbol == " " ? "␣" : HTMLPage.escape(symbol) }
        for panel in panels {
            let top = y + margin
            for (j, symbol) in panel.source.enumerated() {
                let x = margin + (Double(j) + 0.5) * cell
                body += String(format: "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-60 %.1f %.1f)\">%@</text>\n", x, top - 6, x, top - 6, shown(symbol))
            }
            for (t, row) in panel.weights.enumerated() {
                let rowY = top + Double(t) * cell
                body += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n", margin - 6, rowY + cell * 0.7,
                               shown(t < panel.target.count ? panel.target[t] : ""))
                for (j, weight) in row.enumerated() {
                    let level = Int((1 - Double(min(max(weight, 0), 1))) * 255)
                    body += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,255)\"><title>%.3f</title></rect>\n",
                                   margin + Double(j) * cell, rowY, cell, cell, level, level, weight)
                }
            }
            width = max(width, margin + Double(panel.source.count) * cell + 20)
            y = top + Double(panel.weights.count) * cell + gap
        }
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(max(width, 200)))" height="\(Int(y))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    static func html(_ panels: [Panel]) -> String {
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Attention</title></head><body>\n" + svg(panels) + "</body></html>\n"
    }
}
