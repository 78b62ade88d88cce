// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats

/// One replication of a scenario: the model's state and the event loop that drives it.
///
/// Follow a request: ``Traffic`` makes it arrive (`arrive`), the ``LoadBalancer`` picks an
/// instance of the routed service (`admit`, Service/), the ``ServiceInstance`` gives it a worker
/// or queues it, and its operation's compiled ``Program`` runs (`run`): compute, call other
/// services over the network (`issueCall` / `answered`), use the ``DistributedCache`` (Cache/)
/// and the ``ReplicaSet`` (Database/), fork and join, wait. When the root operation ends the
/// request is answered (`finishRequest`) and recorded by the ``Recorder``, from which
/// ``ReplicationResult`` and then the CSV rows come. Faults/ crashes and slows components.
///
/// Events are `UInt64` payloads: kind in the top 8 bits, a generation in the next 24, an
/// index in the low 32. State lives in arrays of value types indexed by integers; free slots are
/// reused, so a steady-state run allocates nothing per event.
public final class Simulation {
    public let scenario: Scenario
    public let replication: Int
    /// This replication's seed, derived from the scenario seed.
    public let seed: UInt64
    /// End of the warm-up (ns): requests arriving earlier are not counted.
    public let warmupEnd: Int64
    /// End of the run (ns).
    public let end: Int64

    /// Owns every stream below; it must live as long as the simulation.
    let streams: RandomStreams
    var events = EventQueue(reservingCapacity: 4096)
    let traffic: Traffic
    let program: Program
    let hop: Sampler?
    var balancers: [LoadBalancer] = []
    var instances: [ServiceInstance] = []
    /// First instance index of each service in `instances`.
    var firstInstance: [Int] = []
    let asyncService: [Bool]
    var breakers: [CircuitBreaker]
    var caches: [DistributedCache]
    var databases: [ReplicaSet]
    var tasks = SlotPool<Task>()
    var freeTasks: [Int32] = []
    var requests = SlotPool<Request>()
    var freeRequests: [Int32] = []
    var recorder: Recorder
    /// Scratch list reused by processor-sharing completions and crashes.
    var scratch: [Int32] = []
    /// Per service: the autoscaler's last decision time and busy-worker integral then.
    var autoscaleState: [(time: Int64, busy: Double)]

    deinit {
        tasks.deallocate()
        requests.deallocate()
    }

    public init(scenario: Scenario, replication: Int) throws(SimulationError) {
        self.scenario = scenario
        self.replication = replication
        seed = StableHash.replicationSeed(scenarioSeed: scenario.seed, replication: replication)
        warmupEnd = scenario.warmup
        end = scenario.warmup + scenario.duration
        streams = RandomStreams(seed: seed)
        traffic = Traffic(workload: scenario.workload, streams: streams)
        let arch = scenario.architecture
        program = try Program(architecture: arch, streams: streams)
        if case .constant(let v) = arch.hop, v == 0 { hop = nil } else {
            hop = Sampler(distribution: arch.hop, stream: streams.stream("network.hop"))
        }
        for (s, service) in arch.services.enumerated() {
            firstInstance.append(instances.count)
            // An autoscaled service has a slot for each instance it may grow to; those beyond
            // `instances` start inactive.
            let slots = max(service.instances, service.autoscale?.max ?? 0)
            for n in 0..<slots {
                var instance = ServiceInstance(service: Int32(s), workers: service.workers,
                                               queueCapacity: service.queueCapacity, cores: service.cores)
                if n >= service.instances { instance.active = false; instance.balancerSendsTo = false }
                instances.append(instance)
            }
            balancers.append(LoadBalancer(policy: service.balancer ?? arch.balancer, service: service.name,
                                          instances: slots, streams: streams))
        }
        asyncService = arch.services.map { $0.io == .async }
        autoscaleState = arch.services.map { _ in (0, 0) }
        breakers = program.breakerPolicies.map { CircuitBreaker(policy: $0) }
        let streams = self.streams
        caches = arch.caches.map { DistributedCache($0, streams: streams) }
        databases = arch.databases.map { ReplicaSet($0, streams: streams) }
        recorder = Recorder(scenario: scenario)
    }

    // MARK: - Run loop

    /// Runs the replication to its end and returns what it measured. `progress` is called every
    /// 65,536 events with (simulated ns, events so far), and once at the end.
    public func run(progress: ((Int64, UInt64) -> Void)? = nil) -> ReplicationResult {
        start()
        while let event = events.next(before: end) {
            dispatch(event.payload)
            if let progress, events.processed & 0xFFFF == 0 { progress(events.now, events.processed) }
        }
        events.advance(to: end)
        closeWindow()
        progress?(end, events.processed)
        return recorder.result(simulation: self)
    }

    func start() {
        switch traffic.source {
        case .open:
            if let t = traffic.nextArrival(after: -1, end: end) { events.schedule(at: max(0, t), EventKind.arrival.payload()) }
        case .closed:
            for u in 0..<traffic.users { events.schedule(at: traffic.thinkTime(), EventKind.userSends.payload(u)) }
        }
        if warmupEnd > 0 { events.schedule(at: warmupEnd, EventKind.warmupEnds.payload()) }
        if scenario.window < end { events.schedule(at: scenario.window, EventKind.windowEnds.payload()) }
        scheduleFaults()
        for (s, service) in scenario.architecture.services.enumerated() {
            if let a = service.autoscale { events.schedule(at: a.interval, EventKind.autoscale.payload(s)) }
        }
    }

    @inline(__always) func dispatch(_ payload: UInt64) {
        let index = Int(truncatingIfNeeded: payload & 0xFFFF_FFFF)
        let generation = UInt32((payload >> 32) & 0xFF_FFFF)
        switch EventKind(rawValue: UInt8(payload >> 56))! {
        case .arrival:
            arrive(user: -1)
            if let t = traffic.nextArrival(after: events.now, end: end) { events.schedule(at: t, EventKind.arrival.payload()) }
        case .userSends: arrive(user: Int32(index))
        case .resume: resume(Int32(index))
        case .deliver: admit(Int32(index))
        case .answered: answered(Int32(index))
        case .timeout: timeout(Int32(index), generation: generation)
        case .shareDone: shareDone(index, generation: generation)
        case .callTimeout: callTimedOut(Int32(index), generation: generation)
        case .retry: retry(Int32(index))
        case .dbArrive: databaseArrive(Int32(index))
        case .queryDone: queryDone(Int32(index), generation: generation)
        case .shipArrive: shipArrive(index, generation: generation)
        case .applyDone: applyDone(index, token: generation)
        case .faultStarts: faultStarts(index)
        case .faultEnds: faultEnds(index)
        case .healthDown: healthDown(index)
        case .healthUp: healthUp(index)
        case .failover: failover(database: index)
        case .autoscale: autoscale(service: index)
        case .instanceReady: instanceReady(index)
        case .windowEnds:
            closeWindow()
            // The last window closes at the end of the run (see run()).
            let next = events.now + scenario.window
            if next < end { events.schedule(at: next, EventKind.windowEnds.payload()) }
        case .warmupEnds: recorder.restart(at: events.now, simulation: self)
        }
    }

    func closeWindow() { recorder.roll(events.now) }

    // MARK: - Requests

    /// A request arrives from a client (open traffic) or from closed user `user`.
    func arrive(user: Int32) {
        let now = events.now
        let type = traffic.nextType()
        let key = traffic.key(for: type)
        let r = allocateRequest(Request(type: Int32(type), key: key ?? 0, hasKey: key != nil, arrival: now,
                                        measured: now >= warmupEnd, user: user))
        recorder.arrived(type: type, measured: requests[Int(r)].measured, at: now)
        if let timeout = scenario.workload.requestTypes[type].timeout {
            events.schedule(after: timeout, EventKind.timeout.payload(Int(r), generation: requests[Int(r)].generation))
        }
        let route = scenario.architecture.routes[type]
        let t = allocateTask(Task(request: r, parent: Task.client, service: Int32(route.service),
                                  pc: program.entry[route.service][route.operation], isBranch: false))
        tasks[Int(t)].endPC = program.endOf[Int(tasks[Int(t)].pc)]
        admit(t)
    }

    /// The request's answer reaches its client (success or error), unless it timed out already.
    func finishRequest(_ r: Int32, failure: Failure) {
        let i = Int(r)
        if !requests[i].answered {
            requests[i].answered = true
            recorder.answered(type: Int(requests[i].type), measured: requests[i].measured,
                              latency: events.now - requests[i].arrival, failure: failure, at: events.now)
            userThinks(requests[i].user)
        }
        releaseRequestIfDone(r)
    }

    /// The request's own timeout: its client gives up; the work downstream goes on.
    func timeout(_ r: Int32, generation: UInt32) {
        let i = Int(r)
        guard requests[i].generation & 0xFF_FFFF == generation, !requests[i].answered else { return }
        requests[i].answered = true
        recorder.answered(type: Int(requests[i].type), measured: requests[i].measured,
                          latency: events.now - requests[i].arrival, failure: .timeout, at: events.now)
        userThinks(requests[i].user)
    }

    func userThinks(_ user: Int32) {
        guard user >= 0 else { return }
        events.schedule(after: traffic.thinkTime(), EventKind.userSends.payload(Int(user)))
    }

    // MARK: - Pools

    func allocateTask(_ task: Task) -> Int32 {
        requests[Int(task.request)].tasks += 1
        if let t = freeTasks.popLast() {
            // Keep counting the slot's generation: a stale call timeout or query completion
            // meant for the slot's previous task must not match the new one.
            var task = task
            task.generation = tasks[Int(t)].generation &+ 1
            tasks[Int(t)] = task
            return t
        }
        tasks.append(task)
        return Int32(tasks.count - 1)
    }

    func freeTask(_ t: Int32) {
        let r = tasks[Int(t)].request
        tasks[Int(t)].alive = false
        freeTasks.append(t)
        requests[Int(r)].tasks -= 1
        releaseRequestIfDone(r)
    }

    /// A request's slot is reused once it is answered and none of its work is left.
    func releaseRequestIfDone(_ r: Int32) {
        let i = Int(r)
        if requests[i].answered && requests[i].tasks == 0 {
            requests[i].generation &+= 1
            requests[i].tasks = -1   // released: never twice
            freeRequests.append(r)
        }
    }

    func allocateRequest(_ request: Request) -> Int32 {
        if let r = freeRequests.popLast() {
            var request = request
            request.generation = requests[Int(r)].generation
            requests[Int(r)] = request
            return r
        }
        requests.append(request)
        return Int32(requests.count - 1)
    }
}

/// Why a request or call failed.
public enum Failure: UInt8, Sendable {
    /// Not failed.
    case ok
    /// A queue was full.
    case rejected
    /// A component was down, or a circuit breaker open.
    case failed
    /// No answer in time (the request's or a call's timeout).
    case timeout
}

/// Kinds of events, packed in a payload's top byte.
enum EventKind: UInt8 {
    case arrival, userSends, resume, deliver, answered, timeout, shareDone, windowEnds, warmupEnds
    case callTimeout, retry, dbArrive, queryDone, shipArrive, applyDone
    case faultStarts, faultEnds, healthDown, healthUp, failover, autoscale, instanceReady

    @inline(__always) func payload(_ index: Int = 0, generation: UInt32 = 0) -> UInt64 {
        UInt64(rawValue) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
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
    /// `parent` of a root task: the client waits for it.
    static let client: Int32 = -1
    /// `parent` of a task nobody waits for any more (its caller timed out, or crashed).
    static let detached: Int32 = -2

    var request: Int32
    /// The task waiting for this one, ``client`` or ``detached``.
    var parent: Int32
    var service: Int32
    var instance: Int32 = -1
    var pc: Int32
    /// Where to jump when a call failed: the operation's or branch's end.
    var endPC: Int32 = 0
    /// Branches still running (fork).
    var pending: Int32 = 0
    /// The call being waited for.
    var child: Int32 = -1
    /// Bumped by every call and database wait, so a stale timeout or completion is ignored.
    var generation: UInt32 = 0
    /// Attempts made of the current call step beyond the first.
    var attempt: Int32 = 0
    /// Database wait: (database, server) and that server's epoch when the query started.
    var database: Int32 = -1
    var server: Int32 = -1
    var serverEpoch: UInt32 = 0
    /// Waiting for, or running, a query at (database, server).
    var atDatabase = false
    var alive = true
    var holdsWorker = false
    var isBranch: Bool
    /// Waiting in its instance's queue for a worker.
    var queued = false
    /// Computing under processor sharing (no event of its own).
    var sharing = false
    /// Its instance crashed: the next event that reaches it frees it.
    var killed = false
    var failure: Failure = .ok
    var queuedAt: Int64 = 0
    /// Processor sharing: virtual time at which its CPU work is done.
    var shareFinish = 0.0

    init(request: Int32, parent: Int32, service: Int32, pc: Int32, isBranch: Bool) {
        self.request = request; self.parent = parent; self.service = service; self.pc = pc; self.isBranch = isBranch
    }
}
