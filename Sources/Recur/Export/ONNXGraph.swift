import Foundation
import RecurCore
import SwiftProtobuf

/// A graph in the ONNX format under construction: nodes in the order they run, the weights as
/// initializers, and the graph's named inputs and outputs with their types. Every value gets a fresh
/// name; `model` wraps the graph into a `ModelProto` (IR version 8, the default domain's opset 17).
struct ONNXGraph {
    static let irVersion: Int64 = 8
    static let opsetVersion: Int64 = 17

    /// An element type of a tensor (ONNX's `TensorProto.DataType`).
    enum ElementType: Int32 {
        case float = 1
        case int32 = 6
        case int64 = 7
    }

    /// One axis of an input's or output's shape: a fixed size, or a name ("batch") the user sets.
    enum Dimension: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
        case fixed(Int)
        case named(String)
        init(integerLiteral value: Int) { self = .fixed(value) }
        init(stringLiteral value: String) { self = .named(value) }
    }

    /// A node's attribute.
    enum Attribute {
        case int(String, Int)
        case ints(String, [Int])
        case string(String, String)
        case strings(String, [String])
    }

    private(set) var proto = Onnx_GraphProto()
    private var counter = 0
    /// What an initializer holds: a parameter in one form, or a constant's values.
    private enum Content: Hashable {
        case parameter(ObjectIdentifier, form: String)
        case integers([Int], shape: [Int])
        case scalar(Float)
    }
    /// Initializers already written (a graph that runs a layer several times, as an unrolled forecast
    /// does, stores its weights once; each constant is stored once).
    private var written: [Content: String] = [:]

    init(name: String) {
        proto.name = name
    }

    /// A name not used before, `base` followed by a number.
    mutating func fresh(_ base: String) -> String {
        counter += 1
        return "\(base)_\(counter)"
    }

    // MARK: Inputs, outputs, weights

    private static func valueInfo(_ name: String, _ type: ElementType, _ shape: [Dimension], doc: String) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.docString = doc
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = type.rawValue
        var shapeProto = Onnx_TensorShapeProto()
        shapeProto.dim = shape.map { dimension in
            var d = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case let .fixed(size): d.dimValue = Int64(size)
            case let .named(name): d.dimParam = name
            }
            return d
        }
        tensor.shape = shapeProto
        info.type.tensorType = tensor
        return info
    }

    /// Declares a graph input; returns its name.
    @discardableResult
    mutating func input(_ name: String, _ type: ElementType, _ shape: [Dimension], doc: String) -> String {
        proto.input.append(Self.valueInfo(name, type, shape, doc: doc))
        return name
    }

    /// Makes `value` a graph output named `name` (through an Identity node when the names differ).
    mutating func output(_ value: String, as name: String, _ type: ElementType, _ shape: [Dimension], doc: String) {
        if value != name { node("Identity", [value], named: name) }
        proto.output.append(Self.valueInfo(name, type, shape, doc: doc))
    }

    /// A float initializer of `shape` holding `values` (row-major); returns its name.
    mutating func weight(_ name: String, _ values: [Float], shape: [Int]) -> String {
        precondition(values.count == shape.reduce(1, *), "ONNXGraph.weight: \(values.count) values for shape \(shape)")
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(name)
        tensor.dataType = ElementType.float.rawValue
        tensor.dims = shape.map(Int64.init)
        // raw_data is little-endian by the format; so is every machine Recur runs on.
        tensor.rawData = values.withUnsafeBytes { Data($0) }
        proto.initializer.append(tensor)
        return tensor.name
    }

    /// An int64 constant (shapes, axes, indices); a scalar when `shape` is empty. Stored once.
    mutating func integers(_ values: [Int], shape: [Int]? = nil) -> String {
        let shape = shape ?? [values.count]
        return stored(.integers(values, shape: shape)) { graph in
            var tensor = Onnx_TensorProto()
            tensor.name = graph.fresh("const")
            tensor.dataType = ElementType.int64.rawValue
            tensor.dims = shape.map(Int64.init)
            tensor.int64Data = values.map(Int64.init)
            graph.proto.initializer.append(tensor)
            return tensor.name
        }
    }

    /// A float scalar constant. Stored once.
    mutating func scalar(_ value: Float) -> String {
        stored(.scalar(value)) { graph in
            var tensor = Onnx_TensorProto()
            tensor.name = graph.fresh("scalar")
            tensor.dataType = ElementType.float.rawValue
            tensor.floatData = [value]
            graph.proto.initializer.append(tensor)
            return tensor.name
        }
    }

    /// The initializer `make` writes for `parameter` in the form `form`, written once per graph.
    mutating func once(_ parameter: AnyObject, _ form: String, _ make: (inout ONNXGraph) -> String) -> String {
        stored(.parameter(ObjectIdentifier(parameter), form: form), make)
    }

    private mutating func stored(_ content: Content, _ make: (inout ONNXGraph) -> String) -> String {
        if let name = written[content] { return name }
        let name = make(&self)
        written[content] = name
        return name
    }

    // MARK: Nodes

    /// Appends a node of `op` (default domain) reading `inputs` ("" for an omitted optional input);
    /// returns the names of its `outputs` outputs.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: Int = 1, _ attributes: [Attribute] = []) -> [String] {
        let names = (0..<outputs).map { _ in fresh(op.lowercased()) }
        append(op, inputs, names, attributes)
        return names
    }

    /// A one-output node; returns its output's name.
    mutating func apply(_ op: String, _ inputs: String..., attributes: [Attribute] = []) -> String {
        node(op, inputs, outputs: 1, attributes)[0]
    }

    /// A one-output node whose output is named `name`.
    mutating func node(_ op: String, _ inputs: [String], named name: String, _ attributes: [Attribute] = []) {
        append(op, inputs, [name], attributes)
    }

    private mutating func append(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [Attribute]) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = fresh("node")
        node.input = inputs
        node.output = outputs
        node.attribute = attributes.map { attribute in
            var a = Onnx_AttributeProto()
            switch attribute {
            case let .int(name, value): a.name = name; a.type = .int; a.i = Int64(value)
            case let .ints(name, values): a.name = name; a.type = .ints; a.ints = values.map(Int64.init)
            case let .string(name, value): a.name = name; a.type = .string; a.s = Data(value.utf8)
            case let .strings(name, values): a.name = name; a.type = .strings; a.strings = values.map { Data($0.utf8) }
            }
            return a
        }
        proto.node.append(node)
    }

    // MARK: The model

    /// The serialized `ModelProto` of this graph, with `metadata` as its metadata_props (sorted by key,
    /// so that the same model always gives the same bytes).
    func serialized(doc: String, metadata: [String: String]) -> Data {
        var model = Onnx_ModelProto()
        model.irVersion = Self.irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opsetVersion
        model.opsetImport = [opset]
        model.producerName = "recur"
        model.docString = doc
        model.graph = proto
        model.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return try! model.serializedData()
    }
}
