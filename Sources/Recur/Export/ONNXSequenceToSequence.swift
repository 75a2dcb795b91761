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
            var top = last, h = encoded.h, cState = encoded.c
            for k in 0..<horizon {
                let prediction = g.linear(top, model.head, name: "head")
                steps.append(g.apply("Reshape", prediction, g.integers([0, 1, T, Q])))
                guard k + 1 < horizon else { break }
                let next = g.recurrent(g.apply("Unsqueeze", points(prediction), g.integers([0])), model.rnn, initialH: h, initialC: cState)
                top = g.apply("Squeeze", next.output, g.integers([0]))
                (h, cState) = (next.h, next.c)
            }
        case .seq2seq:
            var states = g.layerStates(h: encoded.h, c: encoded.c, layers: model.cells.count)
            let lastRow = g.apply("Squeeze", g.slice(g.slice(context, axis: 0, from: N - 1, to: N), axis: 2, from: 0, to: T), g.integers([0]))
            // Cumulative models start from a change of 0 since the origin; the others from the last row.
            var input = c.cumulative ? g.apply("Mul", lastRow, g.scalar(0, name: "zero")) : lastRow
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

    /// An encoder-decoder, as two graphs that a decoding loop (greedy or beam search) drives.
    ///
    /// `encoder`: `source [source_steps, batch]` (int64 ids), `source_lengths [batch]` -> `memory
    /// [source_steps, batch, K]` (the encoder's outputs, which attention reads), `h0` (and `c0`, LSTM)
    /// `[decoder layers, batch, H]`: the decoder's initial state.
    /// `step`: `previous [batch]` (the previous target id; `<s>` = 1 first), `h`, `c`, `memory`,
    /// `source_lengths` -> `logits [batch, V]`, `h_n`, `c_n` and, with attention, `attention [batch,
    /// source_steps]` (the weights over the source). Stop at `</s>` = 2.
    public static func seq2seq(_ model: Seq2Seq<Float>, graph kind: ONNXGraphKind) throws(ONNXExportError) -> Data {
        let c = model.configuration, H = c.hiddenSize, K = c.keyWidth, Ld = c.decoderLayers, lstm = c.cell.hasCellState
        let stateShape: [ONNXGraph.Dimension] = [.fixed(Ld), "batch", .fixed(H)]
        var g = ONNXGraph(name: kind == .encoder ? "recur_seq2seq_encoder" : "recur_seq2seq_step")
        switch kind {
        case .sequence:
            throw ONNXExportError(description: "an encoder-decoder exports as two graphs, --graph encoder and --graph step, which a decoding loop drives")
        case .encoder:
            let source = g.input("source", .int64, ["source_steps", "batch"], doc: "source token ids")
            let lengths = g.input("source_lengths", .int64, ["batch"], doc: "each row's source length, 1...source_steps")
            let encoded = g.recurrent(g.embedding(source, model.sourceEmbedding), model.encoder, lengths: g.sequenceLengths(lengths))
            let D = model.encoder.directionCount, Le = c.encoderLayers
            var hs: [String] = [], cs: [String] = []
            for l in 0..<Ld {
                let layer = Le == Ld ? l : Le - 1
                /// Encoder layer `layer`'s final states of every direction side by side, `[B, D*H]`.
                func sideBySide(_ states: String) -> String {
                    g.apply("Reshape", g.apply("Transpose", states, attributes: [.ints("perm", [1, 0, 2])]), g.integers([0, D * H]))
                }
                if let bridge = model.bridge {
                    hs.append(g.apply("Tanh", g.linear(sideBySide(encoded.layerH[layer]), bridge, name: "bridge")))
                    if lstm { cs.append(g.linear(sideBySide(encoded.layerC[layer]), model.bridgeCell!, name: "bridge_cell")) }
                } else {
                    hs.append(g.apply("Squeeze", encoded.layerH[layer], g.integers([0])))
                    if lstm { cs.append(g.apply("Squeeze", encoded.layerC[layer], g.integers([0]))) }
                }
            }
            g.output(encoded.output, as: "memory", .float, ["source_steps", "batch", .fixed(K)], doc: "the encoder's outputs")
            g.output(g.stacked(hs), as: "h0", .float, stateShape, doc: "the decoder's initial h")
            if lstm { g.output(g.stacked(cs), as: "c0", .float, stateShape, doc: "the decoder's initial c") }
        case .step:
            let previous = g.input("previous", .int64, ["batch"], doc: "the previous target id (<s> = 1 at the first step)")
            let hIn = g.input("h", .float, stateShape, doc: "the decoder's h")
            let cIn = lstm ? g.input("c", .float, stateShape, doc: "the decoder's c") : nil
            let memory = g.input("memory", .float, ["source_steps", "batch", .fixed(K)], doc: "the encoder graph's memory")
            let lengths = g.input("source_lengths", .int64, ["batch"], doc: "each row's source length")
            var states = g.layerStates(h: hIn, c: cIn, layers: Ld)
            var x = g.embedding(previous, model.targetEmbedding)
            var weights: String?, context: String?
            if c.attention == .bahdanau {
                let attended = g.attend(states[Ld - 1].h, keys: memory, lengths: lengths, model.attention!)
                (context, weights) = (attended.context, attended.weights)
                x = g.concat([x, attended.context], axis: 1)
            }
            for (l, cell) in model.cells.enumerated() {
                states[l] = g.cellStep(x, cell, h: states[l].h, c: states[l].c)
                x = states[l].h
            }
            let output: String
            switch c.attention {
            case .none: output = x
            case .bahdanau: output = g.concat([x, context!], axis: 1)
            case .luongDot, .luongGeneral:
                let attended = g.attend(x, keys: memory, lengths: lengths, model.attention!)
                weights = attended.weights
                output = g.apply("Tanh", g.linear(g.concat([attended.context, x], axis: 1), model.combine!, name: "combine"))
            }
            g.output(g.linear(output, model.head, name: "head"), as: "logits", .float, ["batch", .fixed(c.targetVocabulary.count)],
                     doc: "next-symbol logits (before softmax), ids of recur.config's target vocabulary")
            g.output(g.stacked(states.map(\.h)), as: "h_n", .float, stateShape, doc: "the decoder's new h")
            if lstm { g.output(g.stacked(states.map { $0.c! }), as: "c_n", .float, stateShape, doc: "the decoder's new c") }
            if let weights { g.output(weights, as: "attention", .float, ["batch", "source_steps"], doc: "the attention weights over the source") }
        }
        return g.serialized(doc: "Recur encoder-decoder (\(c.cell.rawValue), attention \(c.attention.rawValue)), \(kind.rawValue) graph",
                            metadata: metadata(task: Seq2Seq<Float>.task, config: ModelCheckpoint.json(c), graph: kind))
    }
}
