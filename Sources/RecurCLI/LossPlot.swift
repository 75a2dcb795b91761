import Foundation

/// The training curves as an SVG picture: training loss (per logged interval) and validation loss
/// against the step, in nats per character.
enum LossPlot {
    static func svg(train: [(step: Int, loss: Double)], validation: [(step: Int, loss: Double)]) -> String {
        let width = 720.0, height = 420.0, left = 64.0, right = 150.0, top = 24.0, bottom = 48.0
        let points = train + validation
        let maxStep = Double(max(points.map(\.step).max() ?? 1, 1))
        let finite = points.map(\.loss).filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low < 1e-9 { high = low + 1 }
        low = max(0, low - 0.05 * (high - low))
        func x(_ step: Int) -> Double { left + (width - left - right) * Double(step) / maxStep }
        func y(_ loss: Double) -> Double { top + (height - top - bottom) * (1 - (loss - low) / (high - low)) }
        func polyline(_ series: [(step: Int, loss: Double)], color: String) -> String {
            let coordinates = series.filter { $0.loss.isFinite }.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>"
        }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>

        """
        for i in 0...4 {
            let value = low + (high - low) * Double(i) / 4
            svg += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, y(value) + 4, value)
            let step = Int(maxStep * Double(i) / 4)
            svg += String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>\n", x(step), height - bottom + 18, step)
        }
        svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">step</text>\n"
        svg += "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\" text-anchor=\"middle\">loss (nats/char)</text>\n"
        svg += polyline(train, color: "#1f77b4") + "\n" + polyline(validation, color: "#d62728") + "\n"
        svg += "<text x=\"\(width - right + 12)\" y=\"\(top + 14)\" fill=\"#1f77b4\">training</text>\n"
        svg += "<text x=\"\(width - right + 12)\" y=\"\(top + 32)\" fill=\"#d62728\">validation</text>\n"
        svg += "</svg>\n"
        return svg
    }
}
