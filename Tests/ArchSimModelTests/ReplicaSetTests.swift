// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// The replica set on its own, without a simulation: ordered shipping and applying, visibility in
/// commit order, stale reads, read routing, crash and failover. A tiny event loop below drives
/// its replication events.
final class ReplicaSetTests: XCTestCase {
    static let ms: Double = 1_000_000

    static func database(replicas: Int, lag: Distribution, apply: Distribution, applyWorkers: Int = 4,
                         balancer: BalancerPolicy = .roundRobin) -> Database {
        Database(name: "main",
                 primary: DatabaseServer(connections: 4, read: .constant(1 * ms), write: .constant(2 * ms)),
                 replicaCount: replicas,
                 replica: DatabaseServer(connections: 4, read: .constant(1 * ms), write: apply),
                 replicaBalancer: balancer, replicationLag: lag, applyWorkers: applyWorkers)
    }

    /// Runs the replica set's own events (shipments, applies) up to `limit`, calling `after`
    /// after each.
    static func drive(_ set: inout ReplicaSet, _ events: inout EventQueue, until limit: Int64 = .max,
                      after: (ReplicaSet) -> Void = { _ in }) {
        while let event = events.next(before: limit) {
            let index = Int(truncatingIfNeeded: event.payload & 0xFFFF_FFFF)
            let generation = UInt32((event.payload >> 32) & 0xFF_FFFF)
            let server = ServerID(packed: index)
            switch EventKind(rawValue: UInt8(event.payload >> 56))! {
            case .shipArrive:
                set.shipArrives(server: Int(server.server), generation: generation, at: events.now, events: &events)
            case .applyDone:
                let done = set.applyDone(server: Int(server.server), token: generation, at: events.now, events: &events)
                XCTAssertNil(done.handoff, "no query waits in these tests")
                if done.accepted { set.startApplies(server: Int(server.server), at: events.now, events: &events) }
            default: XCTFail("unexpected event")
            }
            after(set)
        }
    }

    /// 2,000 writes under random lag and random apply times on 4 apply workers: every replica
    /// applies all of them, each becomes visible in commit order (visibility never goes back,
    /// never skips), and none is visible before it was committed plus its lag.
    func testWritesBecomeVisibleInCommitOrder() {
        let streams = RandomStreams(seed: 11)
        var set = ReplicaSet(Self.database(replicas: 3, lag: .exponential(mean: 5 * Self.ms),
                                           apply: .exponential(mean: 0.4 * Self.ms)),
                             index: 0, measuredFrom: 0, streams: streams)
        var events = EventQueue()
        let gaps = streams.stream("test.gaps")
        var now: Int64 = 0
        var lastVisible = [Int64](repeating: 0, count: 4)
        for k in 0..<2_000 {
            now += Int64(-log(gaps.uniformPositive()) * 0.1 * Self.ms)
            Self.drive(&set, &events, until: now) { set in
                for s in 1...3 {
                    XCTAssertGreaterThanOrEqual(set.servers[s].visible, lastVisible[s])
                    lastVisible[s] = set.servers[s].visible
                }
            }
            events.advance(to: now)
            set.commit(key: KeyId.make(space: 0, id: k % 50), at: now, events: &events)
        }
        Self.drive(&set, &events)
        XCTAssertEqual(set.committed, 2_000)
        for s in 1...3 {
            XCTAssertEqual(set.servers[s].visible, 2_000)
            XCTAssertEqual(set.servers[s].orderViolations, 0)
            XCTAssertEqual(set.servers[s].queuedWork, 0)
            XCTAssertFalse(set.isStale(key: KeyId.make(space: 0, id: 7), at: s))
        }
    }

    /// A key written and not yet applied at a replica reads stale there; other keys do not.
    func testStaleUntilApplied() {
        let streams = RandomStreams(seed: 1)
        var set = ReplicaSet(Self.database(replicas: 1, lag: .constant(10 * Self.ms), apply: .constant(1 * Self.ms)),
                             index: 0, measuredFrom: 0, streams: streams)
        var events = EventQueue()
        let key = KeyId.make(space: 2, id: 41), other = KeyId.make(space: 2, id: 40)
        set.commit(key: key, at: 0, events: &events)
        XCTAssertTrue(set.isStale(key: key, at: 1))
        XCTAssertFalse(set.isStale(key: other, at: 1))
        Self.drive(&set, &events, until: 11 * Int64(Self.ms))
        XCTAssertTrue(set.isStale(key: key, at: 1), "arrived at 10 ms, applied at 11 ms")
        Self.drive(&set, &events)
        XCTAssertEqual(events.now, 11 * Int64(Self.ms))
        XCTAssertFalse(set.isStale(key: key, at: 1))
        XCTAssertEqual(set.servers[1].lag.count, 1)
    }

    /// Writes at 0, 1, 2, 3, 4 ms; lag 1 ms; apply 1 ms (replica 1) and 10 ms (replica 2, slowed
    /// ×10). The primary crashes at 4.5 ms: replica 1 has applied writes 1–3 (write 4 is being
    /// applied, write 5 had not left the primary), replica 2 none. Failover promotes replica 1:
    /// 2 writes are lost, nothing beyond write 3 becomes visible anywhere.
    func testFailoverPromotesTheMostUpToDateReplica() {
        let streams = RandomStreams(seed: 1)
        let ms = Int64(Self.ms)
        var set = ReplicaSet(Self.database(replicas: 2, lag: .constant(1 * Self.ms), apply: .constant(1 * Self.ms)),
                             index: 0, measuredFrom: 0, streams: streams)
        set.slow(server: 2, by: 10)
        var events = EventQueue()
        for k in 0..<5 {
            Self.drive(&set, &events, until: Int64(k) * ms)
            events.advance(to: Int64(k) * ms)
            set.commit(key: KeyId.make(space: 0, id: k), at: events.now, events: &events)
        }
        Self.drive(&set, &events, until: 4 * ms + ms / 2)
        events.advance(to: 4 * ms + ms / 2)
        XCTAssertEqual(set.servers[1].visible, 3)
        XCTAssertEqual(set.servers[2].visible, 0)
        XCTAssertTrue(set.crash(server: 0, at: events.now), "the primary")
        XCTAssertEqual(set.server(forRead: false, strong: false, key: nil), 0, "writes still go to the crashed primary")
        set.failover(at: events.now)
        XCTAssertEqual(set.primary, 1)
        XCTAssertEqual(set.committed, 3)
        XCTAssertEqual(set.lostWrites, 2)
        XCTAssertEqual((0..<5).map { set.lastWrite[KeyId.make(space: 0, id: $0)] }, [1, 2, 3, 3, 3], "keys written by lost writes keep the last surviving sequence")
        Self.drive(&set, &events)
        XCTAssertEqual(set.servers[2].visible, 3, "write 4 was being applied: it never becomes visible")
        XCTAssertEqual(set.servers[2].orderViolations, 0)
        // The new primary's next write is number 4 and reaches replica 2 in order.
        set.commit(key: nil, at: events.now, events: &events)
        Self.drive(&set, &events)
        XCTAssertEqual(set.servers[2].visible, 4)
        XCTAssertEqual(set.servers[2].orderViolations, 0)
        // The old primary comes back as a replica, re-cloned from the new primary.
        set.recover(server: 0, at: events.now, events: &events)
        XCTAssertEqual(set.servers[0].role, .replica)
        XCTAssertEqual(set.servers[0].visible, 4)
        XCTAssertEqual(set.server(forRead: true, strong: true, key: nil), 1, "strong reads go to the new primary")
    }

    /// While the primary is down its unsent writes are held; when it comes back they are shipped
    /// again and applied, in order.
    func testHeldWritesAreShippedWhenThePrimaryReturns() {
        let streams = RandomStreams(seed: 1)
        let ms = Int64(Self.ms)
        var set = ReplicaSet(Self.database(replicas: 1, lag: .constant(5 * Self.ms), apply: .constant(1 * Self.ms)),
                             index: 0, measuredFrom: 0, streams: streams)
        var events = EventQueue()
        set.commit(key: nil, at: 0, events: &events)
        set.commit(key: nil, at: 0, events: &events)
        events.advance(to: 2 * ms)
        _ = set.crash(server: 0, at: events.now)
        Self.drive(&set, &events, until: 20 * ms)
        XCTAssertEqual(set.servers[1].visible, 0, "the shipments were stale")
        events.advance(to: 20 * ms)
        set.recover(server: 0, at: events.now, events: &events)
        Self.drive(&set, &events)
        XCTAssertEqual(set.servers[1].visible, 2)
        XCTAssertEqual(events.now, 26 * ms, "shipped again at 20 ms, applied by 26 ms")
    }

    /// Reads spread over the replicas that are up; writes and strong reads go to the primary.
    func testReadRoutingRoundRobinSkipsCrashedReplicas() {
        let streams = RandomStreams(seed: 1)
        var set = ReplicaSet(Self.database(replicas: 3, lag: .constant(0), apply: .constant(0)),
                             index: 0, measuredFrom: 0, streams: streams)
        XCTAssertEqual((0..<6).map { _ in set.server(forRead: true, strong: false, key: nil) }, [1, 2, 3, 1, 2, 3])
        XCTAssertEqual(set.server(forRead: true, strong: true, key: nil), 0)
        XCTAssertEqual(set.server(forRead: false, strong: false, key: nil), 0)
        _ = set.crash(server: 2, at: 0)
        XCTAssertEqual((0..<4).map { _ in set.server(forRead: true, strong: false, key: nil) }, [1, 3, 1, 3])
        _ = set.crash(server: 1, at: 0)
        _ = set.crash(server: 3, at: 0)
        XCTAssertEqual(set.server(forRead: true, strong: false, key: nil), 0, "no replica up: the primary")
    }

    /// consistent_hash sends every read of a key to the same replica, spreads keys over all of
    /// them, and moves only the crashed replica's keys.
    func testConsistentHashRoutesByTheReadsKey() {
        let streams = RandomStreams(seed: 1)
        var set = ReplicaSet(Self.database(replicas: 4, lag: .constant(0), apply: .constant(0), balancer: .consistentHash),
                             index: 0, measuredFrom: 0, streams: streams)
        let keys = (0..<4_000).map { KeyId.make(space: 0, id: $0) }
        let before = keys.map { set.server(forRead: true, strong: false, key: $0) }
        XCTAssertEqual(keys.map { set.server(forRead: true, strong: false, key: $0) }, before, "stable")
        var counts = [Int](repeating: 0, count: 5)
        for s in before { counts[s] += 1 }
        XCTAssertEqual(counts[0], 0)
        for s in 1...4 { XCTAssertGreaterThan(counts[s], 500, "each replica takes a share: \(counts)") }
        _ = set.crash(server: 3, at: 0)
        let after = keys.map { set.server(forRead: true, strong: false, key: $0) }
        for (b, a) in zip(before, after) {
            if b == 3 { XCTAssertNotEqual(a, 3) } else { XCTAssertEqual(a, b, "only the crashed replica's keys move") }
        }
    }

    /// least_connections over 64 replicas (a tournament tree from ``ReplicaSet/treeFrom``
    /// candidates on) chooses what the scan of the candidates chooses: the fewest open queries,
    /// ties to the first in the rotating order — over random arrivals, query ends, crashes and
    /// recoveries.
    func testLeastConnectionsOverManyReplicasChoosesLikeTheScan() {
        let replicas = 64
        XCTAssertGreaterThanOrEqual(replicas, ReplicaSet.treeFrom)
        let streams = RandomStreams(seed: 5)
        var set = ReplicaSet(Self.database(replicas: replicas, lag: .constant(0), apply: .constant(0),
                                           balancer: .leastConnections),
                             index: 0, measuredFrom: 0, streams: streams)
        var events = EventQueue()
        let draws = streams.stream("test.draws")
        var turn = 0, task = 0
        for _ in 0..<20_000 {
            let u = draws.uniformPositive()
            if u < 0.01 {
                let s = 1 + draws.index(below: replicas)
                if set.servers[s].down { set.recover(server: s, at: 0, events: &events) } else { _ = set.crash(server: s, at: 0) }
                continue
            }
            if u < 0.45 {
                // A query ends at a replica that has one open.
                let busy = (1...replicas).filter { set.servers[$0].open > 0 && !set.servers[$0].down }
                guard !busy.isEmpty else { continue }
                let s = busy[draws.index(below: busy.count)]
                _ = set.finishQuery(server: s, epoch: set.servers[s].epoch, isWrite: false, key: nil, locked: false,
                                    at: 0, events: &events)
                continue
            }
            let candidates = (1...replicas).filter { !set.servers[$0].down }
            let chosen = set.server(forRead: true, strong: false, key: nil)
            guard !candidates.isEmpty else { XCTAssertEqual(chosen, 0); continue }
            let start = turn % candidates.count
            turn += 1
            let order = candidates[start...] + candidates[..<start]
            let least = order.map { set.servers[$0].open }.min()!
            XCTAssertEqual(chosen, order.first { set.servers[$0].open == least }, "open \(candidates.map { set.servers[$0].open })")
            task += 1
            _ = set.admit(TaskID(task), server: chosen, at: 0)
        }
        XCTAssertGreaterThan(turn, 5_000)
    }
}
