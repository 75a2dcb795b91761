import RecurCore

/// The sizes and choices that define a `Seq2Seq` encoder-decoder.
public struct Seq2SeqConfiguration: Codable, Equatable, Sendable {
    /// How source text becomes ids (id 0 `<unk>`).
    public var sourceVocabulary: TokenVocabulary
    /// How target text becomes ids: id 0 `<unk>`, 1 the begin symbol `<s>`, 2 the end symbol `</s>`.
    public var targetVocabulary: TokenVocabulary
    public var cell: CellKind
    public var encoderLayers: Int
    public var decoderLayers: Int
    /// H: the hidden size of the encoder's layers (each direction) and of the decoder's.
    public var hiddenSize: Int
    /// E: the embedding size of both sides.
    public var embeddingSize: Int
    public var bidirectional: Bool
    public var attention: AttentionKind
    /// Dropout between the encoder's layers.
    public var dropout: Double
    public var initialization: WeightInitialization
    /// The longest target a decoder writes unless told otherwise (symbols, the end symbol excluded),
    /// and, when `limitsTargets`, the longest target training accepts.
    public var maxTargetLength: Int
    /// Whether training refuses targets over `maxTargetLength` (the user gave the limit).
    public var limitsTargets: Bool
    /// The longest source training accepts, when limited.
    public var maxSourceLength: Int?

    public static let beginToken = "<s>"
    public static let endToken = "</s>"
    /// The target ids of `<s>` and `</s>`.
    public static let beginID = 1, endID = 2

    public init(sourceVocabulary: TokenVocabulary, targetVocabulary: TokenVocabulary, cell: CellKind = .gru,
                encoderLayers: Int = 1, decoderLayers: Int = 1, hiddenSize: Int, embeddingSize: Int,
                bidirectional: Bool = false, attention: AttentionKind = .bahdanau, dropout: Double = 0,
                initialization: WeightInitialization = .pytorch, maxTargetLength: Int = 100, limitsTargets: Bool = false,
                maxSourceLength: Int? = nil) {
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.cell = cell
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        self.bidirectional = bidirectional
        self.attention = attention
        self.dropout = dropout
        self.initialization = initialization
        self.maxTargetLength = maxTargetLength
        self.limitsTargets = limitsTargets
        self.maxSourceLength = maxSourceLength
    }

    /// D*H: the width of the encoder's outputs, which attention reads.
    public var keyWidth: Int { (bidirectional ? 2 : 1) * hiddenSize }
    /// Whether the decoder's initial state passes through a learned bridge (the encoder's final state
    /// has another shape: two directions, or another number of layers).
    public var hasBridge: Bool { bidirectional || encoderLayers != decoderLayers }
    /// What the output layer reads: the decoder's top state, with the context (Bahdanau), or the
    /// attentional state `tanh(W_c [c; h])` (Luong).
    public var outputWidth: Int { attention == .bahdanau ? hiddenSize + keyWidth : hiddenSize }

    /// What is wrong with this configuration, or nil.
    public var problem: String? {
        if !(encoderLayers >= 1 && encoderLayers <= 64 && decoderLayers >= 1 && decoderLayers <= 64) { return "layers \(encoderLayers), \(decoderLayers) are out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 16384) { return "hidden size \(hiddenSize) is out of range" }
        if !(embeddingSize >= 1 && embeddingSize <= 16384) { return "embedding size \(embeddingSize) is out of range" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if !(maxTargetLength >= 1 && maxTargetLength <= 1 << 20) { return "max target length \(maxTargetLength) is out of range" }
        if sourceVocabulary.count < 2 { return "the source vocabulary is empty" }
        let specials = [TokenVocabulary.unknown, Self.beginToken, Self.endToken]
        if targetVocabulary.count < 4 || Array(targetVocabulary.tokens.prefix(3)) != specials {
            return "the target vocabulary must begin with \(specials.joined(separator: ", ")) and hold at least one symbol"
        }
        if attention == .luongDot && keyWidth != hiddenSize {
            return "luong-dot attention needs the encoder's output width (\(keyWidth)) to equal the decoder's hidden size (\(hiddenSize)); use luong-general or bahdanau, or a one-directional encoder"
        }
        return nil
    }
}
