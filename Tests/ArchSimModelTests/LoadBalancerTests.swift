// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// Every balancer policy: which instance it picks, its tie-breaks, and that it skips instances
/// the health check took out.
final class LoadBalancerTests: XCTestCase {
    /// Takes instance i out of the balancer (crashed, and a health check noticed).
    static func takeOut(_ instances: inout [ServiceInstance], _ i: Int) {
        _ = instances[i].crash(at: 0)
        instances[i].healthCheckFailed()
    }

    static func instances(_ n: Int) -> [ServiceInstance] {
        (0..<n).map { _ in ServiceInstance(service: 0, workers: 100, queueCapacity: nil, cores: nil) }
    }

    /// Gives instance i `open[i]` open requests.
    static func load(_ instances: inout [ServiceInstance], _ open: [Int]) {
        for (i, n) in open.enumerated() { for k in 0..<n { _ = instances[i].admit(TaskID(k), at: 0) } }
    }

    static func picks(_ balancer: inout LoadBalancer, _ instances: [ServiceInstance], keys: [UInt64?]) -> [Int?] {
        instances.withUnsafeBufferPointer { buffer in keys.map { balancer.pick(key: $0, instances: buffer) } }
    }

    func testRoundRobinTakesTurnsAndSkipsDownInstances() {
        let streams = RandomStreams(seed: 1)
        var balancer = LoadBalancer(policy: .roundRobin, service: "app", instances: 3, streams: streams)
        var instances = Self.instances(3)
        XCTAssertEqual(Self.picks(&balancer, instances, keys: Array(repeating: nil, count: 6)), [0, 1, 2, 0, 1, 2])
        Self.takeOut(&instances, 1)
        XCTAssertEqual(Self.picks(&balancer, instances, keys: Array(repeating: nil, count: 4)), [0, 2, 0, 2])
        for i in 0..<3 { Self.takeOut(&instances, i) }
        XCTAssertEqual(Self.picks(&balancer, instances, keys: [nil]), [nil])
    }

    func testRandomIsUniformAndDeterministic() {
        let n = 4, draws = 40_000
        var counts = [Int](repeating: 0, count: n)
        let instances = Self.instances(n)
        var first: [Int?] = []
        for run in 0..<2 {
            let streams = RandomStreams(seed: 5)
            var balancer = LoadBalancer(policy: .random, service: "app", instances: n, streams: streams)
            let picks = Self.picks(&balancer, instances, keys: Array(repeating: nil, count: draws))
            if run == 0 { first = picks; for p in picks { counts[p!] += 1 } } else { XCTAssertEqual(picks, first) }
        }
        // Each share within 5 standard deviations of 1/4.
        let sd = (Double(draws) * 0.25 * 0.75).squareRoot()
        for c in counts { XCTAssertEqual(Double(c), Double(draws) / 4, accuracy: 5 * sd) }
    }

    /// Fewest open requests wins; among equals, the scan starts one further each time, so equal
    /// instances take turns.
    func testLeastConnectionsPicksTheLeastLoadedWithRotatingTies() {
        let streams = RandomStreams(seed: 1)
        var balancer = LoadBalancer(policy: .leastConnections, service: "app", instances: 4, streams: streams)
        var instances = Self.instances(4)
        Self.load(&instances, [3, 1, 2, 1])
        XCTAssertEqual(Self.picks(&balancer, instances, keys: [nil, nil, nil, nil]), [1, 1, 3, 3])
        Self.takeOut(&instances, 1)
        Self.takeOut(&instances, 3)
        XCTAssertEqual(Self.picks(&balancer, instances, keys: [nil]), [2])
    }

    /// power_of_two draws two distinct instances and keeps the less loaded (the first on a tie):
    /// the most loaded of three is never picked, since two distinct draws always include a
    /// lighter one; the two light ones share the rest.
    func testPowerOfTwoNeverPicksTheMostLoadedOfTwo() {
        let streams = RandomStreams(seed: 3)
        var balancer = LoadBalancer(policy: .powerOfTwo, service: "app", instances: 3, streams: streams)
        var instances = Self.instances(3)
        Self.load(&instances, [0, 9, 0])
        let picks = Self.picks(&balancer, instances, keys: Array(repeating: nil, count: 3_000))
        XCTAssertFalse(picks.contains(1))
        XCTAssertGreaterThan(picks.filter { $0 == 0 }.count, 1_000)
        XCTAssertGreaterThan(picks.filter { $0 == 2 }.count, 1_000)
    }

    /// consistent_hash: a key always goes to the same instance; a down instance's keys move,
    /// the others' stay; keyless requests take turns.
    func testConsistentHashIsStickyAndMovesOnlyTheDownInstancesKeys() {
        let streams = RandomStreams(seed: 1)
        var balancer = LoadBalancer(policy: .consistentHash, service: "app", instances: 5, streams: streams)
        var instances = Self.instances(5)
        let keys: [UInt64?] = (0..<5_000).map { KeyId.make(space: 0, id: $0) }
        let before = Self.picks(&balancer, instances, keys: keys)
        XCTAssertEqual(Self.picks(&balancer, instances, keys: keys), before)
        for i in 0..<5 { XCTAssertGreaterThan(before.filter { $0 == i }.count, 600, "instance \(i) takes a share") }
        Self.takeOut(&instances, 2)
        let after = Self.picks(&balancer, instances, keys: keys)
        for (b, a) in zip(before, after) {
            if b == 2 { XCTAssertNotEqual(a, 2) } else { XCTAssertEqual(a, b) }
        }
        let keyless = Self.picks(&balancer, instances, keys: Array(repeating: nil, count: 8))
        XCTAssertFalse(keyless.contains(nil) || keyless.contains(2), "keyless requests take turns among those up: \(keyless)")
        XCTAssertEqual(Set(keyless.map { $0! }).count, 4)
    }
}
