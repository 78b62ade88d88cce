// SPDX-License-Identifier: GPL-3.0-or-later

/// A request's slot in the simulation's request array. Costs nothing over the `Int32` inside.
package struct RequestID: Equatable {
    package var index: Int32
    @inline(__always) package init(_ index: Int32) { self.index = index }
    @inline(__always) package init(_ index: Int) { self.index = Int32(truncatingIfNeeded: index) }
}

/// A task's slot in the simulation's task array.
package struct TaskID: Equatable {
    package var index: Int32
    @inline(__always) package init(_ index: Int32) { self.index = index }
    @inline(__always) package init(_ index: Int) { self.index = Int32(truncatingIfNeeded: index) }
}

/// A service instance: its index in the simulation's instance array (all services' instances,
/// service by service).
package struct InstanceID: Equatable {
    package var index: Int32
    @inline(__always) package init(_ index: Int32) { self.index = index }
    @inline(__always) package init(_ index: Int) { self.index = Int32(truncatingIfNeeded: index) }
    /// No instance (a task not admitted yet).
    package static let none = InstanceID(Int32(-1))
}

/// A database server: the database, and the server within its replica set (0 = the primary
/// as configured, 1… the replicas).
package struct ServerID: Equatable {
    package var database: Int32
    package var server: Int32
    @inline(__always) package init(database: Int, server: Int) {
        self.database = Int32(truncatingIfNeeded: database); self.server = Int32(truncatingIfNeeded: server)
    }
    package static let none = ServerID(database: -1, server: -1)
    /// Packed in an event payload's index (database in the high 16 bits).
    @inline(__always) package var packed: Int { Int(database) << 16 | Int(server) }
    @inline(__always) package init(packed: Int) { self.init(database: packed >> 16, server: packed & 0xFFFF) }
}

extension SlotArray where Element == Task {
    @inline(__always) subscript(id: TaskID) -> Task {
        unsafeAddress { UnsafePointer(base + Int(id.index)) }
        nonmutating unsafeMutableAddress { base + Int(id.index) }
    }
}

extension SlotArray where Element == Request {
    @inline(__always) subscript(id: RequestID) -> Request {
        unsafeAddress { UnsafePointer(base + Int(id.index)) }
        nonmutating unsafeMutableAddress { base + Int(id.index) }
    }
}

/// A request from a client, from arrival to answer.
struct Request {
    var type: Int32
    var key: UInt64
    var hasKey: Bool
    var arrival: Int64
    /// Arrived after the warm-up: counted in the results.
    var measured: Bool
    /// The closed-workload user who sent it, or -1.
    var user: Int32
    var answered = false
    /// Tasks still working for it; the slot is reused when answered and none is left.
    var tasks: Int32 = 0
    /// Bumped when the slot is reused, so a stale timeout is ignored.
    var generation: UInt32 = 0

    @inline(__always) var optionalKey: UInt64? { hasKey ? key : nil }
}

/// A piece of work in progress: an operation running at a service for one request, or one
/// branch of a parallel step.
struct Task {
    /// Who waits for the task's answer.
    enum Parent: Equatable {
        /// The client: the task is the request's root operation.
        case client
        /// Nobody any more (its caller timed out, or crashed).
        case detached
        /// A calling task (a call step), or the forking task (a branch).
        case task(TaskID)
    }

    /// Where the task is. Exactly one phase at a time; ``killed`` and ``holdsWorker`` are
    /// independent of it.
    enum Phase: UInt8 {
        /// The slot is unused.
        case free
        /// Executing, or waiting for an event of its own (compute time, delay, a call's answer,
        /// a cache round trip, a retry's backoff, its branches).
        case running
        /// In its instance's queue, waiting for a worker.
        case waitingForWorker
        /// Computing under processor sharing (no event of its own).
        case computing
        /// Waiting for, or running, a query at ``Task/server``.
        case atDatabase
        /// In its instance's client connection pool's queue (no event of its own).
        case waitingForConnection
    }

    var request: RequestID
    var parent: Parent
    var service: Int32
    var instance = InstanceID.none
    /// Next instruction to run.
    var pc: Int32
    /// Where to jump when a call failed: the operation's or branch's end.
    var endPC: Int32 = 0
    /// Branches still running (fork).
    var pending: Int32 = 0
    /// The call being waited for.
    var child: TaskID?
    /// Bumped by every call and database wait, so a stale timeout or completion is ignored.
    var generation: UInt32 = 0
    /// Attempts made of the current call step beyond the first.
    var attempt: Int32 = 0
    /// Database wait: the server, and its epoch when the query started.
    var server = ServerID.none
    var serverEpoch: UInt32 = 0
    /// The row of its query (`.max`: none), fixed when the query reaches its database. At a
    /// cache step whose nodes have a `service` time: the second half of the round trip (ns).
    var rowKey: UInt64 = .max
    var phase = Phase.running
    var holdsWorker = false
    /// Holds a connection of its instance's client pool for its query (given back when the
    /// answer is back).
    var holdsConnection = false
    /// A branch of a parallel step (runs on its parent's worker).
    let isBranch: Bool
    /// Its instance crashed: the next event that reaches it frees it.
    var killed = false
    var failure: Failure = .ok

    init(request: RequestID, parent: Parent, service: Int32, pc: Int32, isBranch: Bool) {
        self.request = request; self.parent = parent; self.service = service; self.pc = pc; self.isBranch = isBranch
    }

    @inline(__always) var alive: Bool { phase != .free }
}
