import Foundation
import RecurCore

extension ONNXExport {
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
                    hs.append(g.apply("Tanh", g.linear(sideBySide(encoded.final[layer].h), bridge, name: "bridge")))
                    if lstm { cs.append(g.linear(sideBySide(encoded.final[layer].c!), model.bridgeCell!, name: "bridge_cell")) }
                } else {
                    let state = g.cellStates([encoded.final[layer]])[0]
                    hs.append(state.h)
                    if lstm { cs.append(state.c!) }
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
            var states = g.cellStates(g.layerStates(h: hIn, c: cIn, layers: Ld))
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
