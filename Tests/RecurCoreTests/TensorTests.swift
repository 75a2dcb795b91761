import Testing
import RecurCore

struct TensorTests {
    @Test("zero, also where it is not specialised, leaves +0 in every element (NaN, -0, infinities before)")
    func zeroEverywhere() {
        func zeroGenerically<S: RecurScalar>(_ t: inout Tensor<S>) { t.zero() }
        var single = Tensor<Float>(shape: [3, 3], scalars: [.nan, -0, .infinity, -.infinity, 1, -2, .leastNonzeroMagnitude, 7, 9])
        zeroGenerically(&single)
        #expect(single.scalars.allSatisfy { $0.bitPattern == 0 } && single.shape == [3, 3])
        var double = Tensor<Double>(shape: [5], scalars: [.nan, -0, 3, -.infinity, .leastNonzeroMagnitude])
        zeroGenerically(&double)
        #expect(double.scalars.allSatisfy { $0.bitPattern == 0 })
        var empty = Tensor<Float>(shape: [0])
        zeroGenerically(&empty)
        #expect(empty.count == 0)
    }

    @Test("row-major indexing, reshape, zero and conversion")
    func basics() {
        var t = Tensor<Float>(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(t[1, 2] == 5)
        #expect(t[0, 1] == 1)
        t[1, 0] = 30
        #expect(t.scalars == [0, 1, 2, 30, 4, 5])
        #expect(t.reshaped([3, 2])[2, 1] == 5)
        #expect(Tensor<Double>(t).scalars == [0, 1, 2, 30, 4, 5])
        t.zero()
        #expect(t.scalars == [0, 0, 0, 0, 0, 0] && t.shape == [2, 3])
        #expect(Tensor<Float>(shape: [4, 0, 2]).count == 0)
    }

    @Test("element counts and overflow detection")
    func counts() {
        #expect(Tensor<Float>.elementCount(of: []) == 1)
        #expect(Tensor<Float>.elementCount(of: [3, 4, 5]) == 60)
    }
}

struct ActivationTests {
    @Test("activations and their derivatives at known points, without NaN at the extremes")
    func knownValues() {
        #expect(sigmoid(Float(0)) == 0.5)
        #expect(sigmoid(Float(-200)) == 0)
        #expect(sigmoid(Float(200)) == 1)
        #expect(relu(Float(-2)) == 0 && relu(Float(3)) == 3)
        #expect(Activation.tanh.apply(Double(0.5)) == Double.tanh(0.5))
        #expect(Activation.sigmoid.derivative(output: 0.25) == 0.1875)
        #expect(Activation.tanh.derivative(output: 0.5) == 0.75)
        #expect(Activation.relu.derivative(output: 0.0) == 0 && Activation.relu.derivative(output: 2.0) == 1)
        var x: [Double] = [-1, 0, 2]
        Activation.relu.apply(&x, count: 3)
        #expect(x == [0, 0, 2])
    }
}
