/// Which units look interpretable: each unit's activation over the text is correlated (Pearson's r)
/// with simple properties of the text at that step, the properties Karpathy, Johnson and Fei-Fei
/// (2015) found single cells tracking:
/// - `line position`: characters since the last newline (0 on the newline itself, and on the begin
///   symbol of a model of independent sequences, where quotes and brackets start closed again);
/// - `inside quotes`: 1 between an opening and a closing double quote (" or the curly “ ”), else 0;
/// - `inside brackets`: 1 while ( [ { are open (nesting counted), else 0;
/// - `word position`: letters or digits since the last other character (0 outside words).
/// A unit's score is its largest |r|; a property constant over the text (no quotes in it, say) has
/// no correlation and is left out. r is computed on the state after reading each character, so a
/// unit that switches on at the opening quote counts as inside.
public struct UnitMeasures: Sendable {
    public static let names = ["line position", "inside quotes", "inside brackets", "word position"]

    public struct Unit: Sendable {
        public let layer: Int
        public let unit: Int
        /// Whether the series is the cell state c (LSTM) rather than h.
        public let cellState: Bool
        /// Per property (`names`), r, or nil where the property is constant.
        public let correlations: [Double?]
        /// The property with the largest |r| and that r (nil: every property constant).
        public var best: (measure: Int, r: Double)? {
            correlations.enumerated().compactMap { i, r in r.map { (i, $0) } }.max { abs($0.1) < abs($1.1) }
        }
    }

    /// Per step, each property's value.
    public let properties: [[Double]]
    /// Every unit of every layer (h, then c for the LSTM), most interpretable first (ties: layer, state, unit).
    public let ranked: [Unit]

    /// `text`: the symbols read, one per step of `trace`.
    public init(trace: ActivationTrace, text: [Unicode.Scalar]) {
        precondition(text.count == trace.steps, "UnitMeasures: expected one symbol per step")
        properties = Self.properties(of: text)
        let T = trace.steps, H = trace.hiddenSize
        var units: [Unit] = []
        for l in 0..<trace.layerCount {
            for cellState in trace.cells.isEmpty ? [false] : [false, true] {
                let values = cellState ? trace.cells[l] : trace.hidden[l]
                for u in 0..<H {
                    let series = (0..<T).map { Double(values[$0 * H + u]) }
                    units.append(Unit(layer: l, unit: u, cellState: cellState,
                                      correlations: properties.map { Self.correlation(series, $0) }))
                }
            }
        }
        func score(_ unit: Unit) -> Double { unit.best.map { abs($0.r) } ?? -1 }
        ranked = units.enumerated().sorted { a, b in
            let (sa, sb) = (score(a.element), score(b.element))
            return sa > sb || (sa == sb && a.offset < b.offset)
        }.map(\.element)
    }

    /// The four properties at every position of `text`.
    public static func properties(of text: [Unicode.Scalar]) -> [[Double]] {
        var line = [Double](), quotes = [Double](), brackets = [Double](), word = [Double]()
        var column = 0, inQuotes = false, depth = 0, run = 0
        for s in text {
            if s == CharRNNConfiguration.beginSymbol {
                // A model of independent sequences: each begins afresh.
                (inQuotes, depth) = (false, 0)
            }
            column = s == "\n" || s == CharRNNConfiguration.beginSymbol ? 0 : column + 1
            switch s {
            case "\"": inQuotes.toggle()
            case "\u{201C}": inQuotes = true
            case "\u{201D}": inQuotes = false
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(0, depth - 1)
            default: break
            }
            run = s.properties.isAlphabetic || s.properties.numericType != nil ? run + 1 : 0
            line.append(Double(column))
            quotes.append(inQuotes ? 1 : 0)
            brackets.append(depth > 0 ? 1 : 0)
            word.append(Double(run))
        }
        return [line, quotes, brackets, word]
    }

    /// Pearson's r of two series, or nil where either is constant (or the series are empty).
    public static func correlation(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        guard x.count == y.count, x.count > 1 else { return nil }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 1e-12 * n, syy > 1e-12 * n else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
