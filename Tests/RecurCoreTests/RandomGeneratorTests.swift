import Testing
import RecurCore

struct RandomGeneratorTests {
    @Test("the same seed gives the same bits; another seed does not")
    func determinism() {
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7), c = RandomGenerator(seed: 8)
        let first = (0..<1000).map { _ in a.next() }
        #expect(first == (0..<1000).map { _ in b.next() })
        #expect(first != (0..<1000).map { _ in c.next() })
    }

    @Test("known first outputs pin the algorithm (xoshiro256** seeded by SplitMix64)")
    func pinnedOutputs() {
        var g = RandomGenerator(seed: 0)
        // SplitMix64(0) gives the state; these values would change if either algorithm changed.
        // The values were computed by an independent implementation of both algorithms.
        #expect(g.state.0 == 0xE220_A839_7B1D_CDAF)
        #expect((0..<3).map { _ in g.next() } == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
    }

    @Test("a saved state resumes the same stream")
    func stateRoundTrip() {
        var g = RandomGenerator(seed: 123)
        for _ in 0..<17 { _ = g.next() }
        var resumed = RandomGenerator(state: g.state)
        #expect((0..<100).map { _ in g.next() } == (0..<100).map { _ in resumed.next() })
    }

    @Test("uniform values lie in [0, 1) with mean near 1/2; normals have mean 0 and variance 1")
    func distributions() {
        var g = RandomGenerator(seed: 99)
        let n = 200_000
        let u = (0..<n).map { _ in g.uniform(Float.self) }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(abs(mean - 0.5) < 0.005)
        let z = (0..<n).map { _ in g.normal(Double.self) }
        let zMean = z.reduce(0, +) / Double(n)
        let zVariance = z.reduce(0) { $0 + ($1 - zMean) * ($1 - zMean) } / Double(n)
        #expect(abs(zMean) < 0.01)
        #expect(abs(zVariance - 1) < 0.02)
        let ints = (0..<10_000).map { _ in g.integer(below: 10) }
        #expect(Set(ints) == Set(0..<10))
    }
}
