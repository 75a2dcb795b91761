import Foundation
import RecurCore

extension ONNXExport {
    /// A forecaster: `context [N, batch, W]` (the N past rows of targets then features, in the model's
    /// units: scaled, and differenced when the configuration says so, as `recur.config` records) ->
    /// `forecast [batch, horizon, targets, quantiles]` in the same units, as `Forecaster.forecastTensor`
    /// writes it. The recursive and seq2seq strategies are unrolled over the horizon, each step fed the
    /// previous step's point forecast (the median quantile).
    public static func forecaster(_ model: Forecaster<Float>) -> Data {
        let c = model.configuration, N = c.context, W = c.inputWidth, T = c.targetCount, Q = c.quantileCount
        let Hd = c.hiddenSize, horizon = c.horizon
        var g = ONNXGraph(name: "recur_forecaster")
        let context = g.input("context", .float, [.fixed(N), "batch", .fixed(W)], doc: "the past rows: targets then features, in the model's units")
        /// The point forecasts `[B, T]` of one step's predictions `[B, T*Q]`.
        func points(_ prediction: String) -> String {
            let perQuantile = g.apply("Reshape", prediction, g.integers([0, T, Q]))
            return g.apply("Squeeze", g.slice(perQuantile, axis: 2, from: c.medianIndex, to: c.medianIndex + 1), g.integers([2]))
        }
        var steps: [String] = []   // each [B, 1, T, Q]
        let encoded = g.recurrent(context, model.rnn)
        let last = g.apply("Squeeze", g.slice(encoded.output, axis: 0, from: N - 1, to: N), g.integers([0]))   // [B, H]
        switch c.strategy {
        case .direct:
            steps = [g.apply("Reshape", g.linear(last, model.head, name: "head"), g.integers([0, horizon, T, Q]))]
        case .recursive:
            var top = last, state = encoded.final
            for k in 0..<horizon {
                let prediction = g.linear(top, model.head, name: "head")
                steps.append(g.apply("Reshape", prediction, g.integers([0, 1, T, Q])))
                guard k + 1 < horizon else { break }
                let next = g.recurrent(g.apply("Unsqueeze", points(prediction), g.integers([0])), model.rnn, initial: state)
                top = g.apply("Squeeze", next.output, g.integers([0]))
                state = next.final
            }
        case .seq2seq:
            var states = g.cellStates(encoded.final)
            let lastRow = g.apply("Squeeze", g.slice(g.slice(context, axis: 0, from: N - 1, to: N), axis: 2, from: 0, to: T), g.integers([0]))
            // Cumulative models start from a change of 0 since the origin; the others from the last row.
            var input = c.cumulative ? g.apply("Mul", lastRow, g.scalar(0)) : lastRow
            for _ in 0..<horizon {
                var x = input
                for (l, cell) in model.cells.enumerated() {
                    states[l] = g.cellStep(x, cell, h: states[l].h, c: states[l].c)
                    x = states[l].h
                }
                let prediction = g.linear(x, model.head, name: "head")
                steps.append(g.apply("Reshape", prediction, g.integers([0, 1, T, Q])))
                input = points(prediction)
            }
        }
        g.output(g.concat(steps, axis: 1), as: "forecast", .float, ["batch", .fixed(horizon), .fixed(T), .fixed(Q)],
                 doc: "the forecasts in the model's units; quantiles in the order of recur.config's quantiles")
        return g.serialized(doc: "Recur forecaster (\(c.cell.rawValue), \(c.layers)x\(Hd), \(c.strategy.rawValue), context \(N), horizon \(horizon))",
                            metadata: metadata(task: Forecaster<Float>.task, config: ModelCheckpoint.json(c), graph: .sequence))
    }
}
