// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import XCTest

final class RandomStreamTests: XCTestCase {
    func sequence(_ streams: RandomStreams, _ name: String, _ n: Int = 1000) -> [Double] {
        withExtendedLifetime(streams) {
            let s = streams.stream(name)
            return (0..<n).map { _ in s.uniform() }
        }
    }

    func testSameNameAndSeedGiveSameSequence() {
        XCTAssertEqual(sequence(RandomStreams(seed: 123), "arrivals"), sequence(RandomStreams(seed: 123), "arrivals"))
    }

    func testDifferentNamesOrSeedsGiveDifferentSequences() {
        let streams = RandomStreams(seed: 123)
        let a = sequence(streams, "arrivals"), b = sequence(streams, "service.app.op.cpu")
        XCTAssertNotEqual(a, b)
        XCTAssertLessThan(zip(a, b).filter { $0 == $1 }.count, 5)
        XCTAssertNotEqual(a, sequence(RandomStreams(seed: 124), "arrivals"))
    }

    /// A replication seeded twice gives identical numbers in every stream, whatever order the
    /// streams are created in, and adding a stream does not shift the others.
    func testReplicationIsDeterministic() {
        let names = ["arrivals", "lb", "service.a.cpu", "service.b.cpu", "cache"]
        let first = RandomStreams(seed: StableHash.replicationSeed(scenarioSeed: 42, replication: 3))
        let second = RandomStreams(seed: StableHash.replicationSeed(scenarioSeed: 42, replication: 3))
        _ = second.stream("extra component")
        let x = names.map { sequence(first, $0, 200) }
        let y = names.reversed().map { sequence(second, $0, 200) }.reversed()
        XCTAssertEqual(x, Array(y))
        XCTAssertNotEqual(StableHash.replicationSeed(scenarioSeed: 42, replication: 3),
                          StableHash.replicationSeed(scenarioSeed: 42, replication: 4))
    }

    func testStreamsAreCheapValues() {
        withStream(seed: 9, "x") { s in
            let copy = s   // a copy shares the generator: it continues the same sequence
            let a = s.uniform(), b = copy.uniform()
            withStream(seed: 9, "x") { t in XCTAssertEqual([a, b], [t.uniform(), t.uniform()]) }
            for _ in 0..<1000 {
                let u = s.uniformPositive(); XCTAssertTrue(u > 0 && u < 1)
                let i = s.index(below: 7); XCTAssertTrue((0..<7).contains(i))
            }
        }
    }

    func testFNV1a64KnownVectors() {
        XCTAssertEqual(StableHash.fnv1a64(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(StableHash.fnv1a64("a"), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(StableHash.fnv1a64("foobar"), 0x8594_4171_F739_67E8)
    }
}
