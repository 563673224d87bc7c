import SafeguardsCore
import SafeguardsTestKit
import Testing

@Suite("SeededRandom")
struct SeededRandomTests {
    @Test("produces the published SplitMix64 sequence, so runs replay on every platform")
    func matchesReferenceSequence() {
        var random = SeededRandom(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(random.next() == 0x06C4_5D18_8009_454F)
    }

    @Test("the same seed gives the same values; another seed gives others")
    func sameSeedSameSequence() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        var other = SeededRandom(seed: 43)
        let a = (0..<100).map { _ in first.int(in: -1_000...1_000) }
        let b = (0..<100).map { _ in second.int(in: -1_000...1_000) }
        let c = (0..<100).map { _ in other.int(in: -1_000...1_000) }
        #expect(a == b)
        #expect(a != c)
        #expect(first.seed == 42)
    }

    @Test("bounded draws stay in range and reach both ends")
    func boundedDrawsStayInRange() {
        var random = SeededRandom(seed: 7)
        var seen = Set<Int>()
        for _ in 0..<2_000 {
            let value = random.int(in: 3...9)
            #expect((3...9).contains(value))
            seen.insert(value)
        }
        #expect(seen == Set(3...9))
        #expect((0..<1_000).allSatisfy { _ in random.next(below: 1) == 0 })
        let wide = (0..<1_000).map { _ in random.int64(in: Int64.min...Int64.max) }
        #expect(wide.contains { $0 < 0 } && wide.contains { $0 > 0 })
        #expect((0..<100).allSatisfy { _ in random.int64(in: -5...(-5)) == -5 })
    }

    @Test("percent(0) never and percent(100) always; elements come from the collection")
    func percentAndElement() {
        var random = SeededRandom(seed: 9)
        #expect((0..<500).allSatisfy { _ in !random.percent(0) })
        #expect((0..<500).allSatisfy { _ in random.percent(100) })
        let heads = (0..<10_000).filter { _ in random.percent(50) }.count
        #expect((4_000...6_000).contains(heads))
        #expect(random.element(of: [Int]()) == nil)
        #expect(["a", "b"].contains(random.element(of: ["a", "b"]) ?? "none"))
    }

    @Test("a split stream is deterministic and differs from its parent")
    func splitIsDeterministic() {
        var parentA = SeededRandom(seed: 5)
        var parentB = SeededRandom(seed: 5)
        var childA = parentA.split()
        var childB = parentB.split()
        let fromChild = (0..<10).map { _ in childA.next() }
        #expect(fromChild == (0..<10).map { _ in childB.next() })
        #expect(fromChild != (0..<10).map { _ in parentA.next() })
    }

    @Test("works as the generator of the standard library's random APIs")
    func worksWithStandardLibrary() {
        var random = SeededRandom(seed: 11)
        let shuffled = (1...20).shuffled(using: &random)
        #expect(shuffled.sorted() == Array(1...20))
        #expect((1...6).contains(Int.random(in: 1...6, using: &random)))
    }
}
