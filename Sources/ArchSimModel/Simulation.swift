// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats

/// One replication of a scenario: the model's state and the event loop that drives it.
///
/// Follow a request: ``Traffic`` makes it arrive (`arrive`), the ``LoadBalancer`` picks an
/// instance of the routed service (`admit`, Service/), the ``ServiceInstance`` gives it a worker
/// or queues it (its ``Pool``), and its operation's compiled ``Program`` runs (`run`): compute,
/// call other services over the network (`issueCall` / `answered`), use the ``DistributedCache``
/// (Cache/) and the ``ReplicaSet`` (Database/), fork and join, wait. When the root operation ends
/// the request is answered (`finishRequest`) and recorded by the ``Recorder``; at the end each
/// component reports its own results into the ``ReplicationResult``, from which the CSV rows
/// come. Faults/ crashes and slows components; the ``Autoscaler`` resizes services.
///
/// The simulation keeps the clock, the event loop and dispatch, and the life cycle of requests
/// and tasks (``Task``); each component owns its state and changes it through its own methods.
/// Events are `UInt64` payloads: kind in the top 8 bits, a generation in the next 24, an
/// index in the low 32. State lives in arrays of value types indexed by typed handles
/// (``TaskID``, ``RequestID``); free slots are reused, so a steady-state run allocates nothing
/// per event.
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
    /// One replica set per database shard: database d's shards are `shardBase[d] ..<
    /// shardBase[d] + shards`. A task's ``Task/server`` names the replica set.
    var databases: [ReplicaSet] = []
    var shardBase: [Int] = []
    var shardCount: [Int] = []
    /// Per service, its autoscaler if it has one.
    var autoscalers: [Autoscaler?]
    var tasks = SlotArray<Task>()
    var freeTasks: [TaskID] = []
    var requests = SlotArray<Request>()
    var freeRequests: [RequestID] = []
    var recorder: Recorder
    /// Scratch list reused by processor-sharing completions and crashes.
    var scratch: [TaskID] = []
    /// Keys of the step key spaces (``Program/stepKeySpaces``) each request drew at arrival,
    /// `stepKeySamplers.count` per request slot.
    var stepKeys: [UInt64] = []
    let stepKeySamplers: [KeySampler]
    /// Fresh keys (`key: new`) handed out so far.
    var freshKeys = 0
    /// Host machines (format 1.1), host by host; host h's machines start at `machineBase[h]`.
    var machines: [Machine] = []
    var machineBase: [Int] = []
    /// The machine of each instance slot and of each replica set's servers (-1: none).
    var instanceMachine: [Int32] = []
    var serverMachine: [[Int32]] = []
    let hasHosts: Bool
    /// Replicas' apply jobs computing on host machines (replica set, server, token), and the
    /// free slots of that table.
    var applyJobs: [(set: Int32, server: Int32, token: UInt32)] = []
    var freeApplyJobs: [Int] = []
    /// Scratch list of a machine's completed jobs.
    var machineJobs: [ProcessorSharing.Job] = []
    /// Crash faults in force on each instance slot, each replica set's servers and each machine:
    /// a component is back when none holds it down.
    var instanceCrashes: [Int] = []
    var serverCrashes: [[Int]] = []
    var machineCrashes: [Int] = []
    /// Per service: CPU work started after the warm-up (ns), for cpu_utilization.
    var cpuWork: [Double]
    /// Per service, its balancer's `retry_failed`; and the instances one request tried (scratch).
    let retryFailed: [Int]
    var triedInstances: [Int] = []
    /// Client connection pools of the service instances (format 1.1 `pools:`).
    var clientPools: ClientPools
    let hasClientPools: Bool
    /// `--breakdown`: each task's time by cause, and the answered requests' splits per type
    /// (then all). Empty and untouched otherwise.
    let tracksPath: Bool
    var path = CriticalPath()
    var pathCounts: [BreakdownCounts] = []

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
        var stepKeySamplers: [KeySampler] = []
        for k in program.stepKeySpaces {
            let space = scenario.workload.keySpaces[k]
            stepKeySamplers.append(KeySampler(space, streams.stream("workload.keys.\(space.name).steps")))
        }
        self.stepKeySamplers = stepKeySamplers
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
                if n >= service.instances { instance.makeIdle() }
                instances.append(instance)
            }
            balancers.append(LoadBalancer(policy: service.balancer ?? arch.balancer, service: service.name,
                                          instances: slots, streams: streams))
        }
        asyncService = arch.services.map { $0.io == .async }
        retryFailed = arch.services.map { $0.retryFailed ?? arch.retryFailed }
        for host in arch.hosts {
            machineBase.append(machines.count)
            for n in 0..<host.count { machines.append(Machine(name: "\(host.name)[\(n)]", cores: host.cores, background: host.background)) }
        }
        hasHosts = !arch.hosts.isEmpty
        cpuWork = arch.services.map { _ in 0 }
        clientPools = ClientPools(architecture: arch, firstInstance: firstInstance,
                                  slots: arch.services.map { max($0.instances, $0.autoscale?.max ?? 0) })
        hasClientPools = arch.services.contains { !$0.pools.isEmpty }
        tracksPath = scenario.recordsBreakdown
        if tracksPath { pathCounts = Array(repeating: BreakdownCounts(), count: scenario.workload.requestTypes.count + 1) }
        autoscalers = arch.services.map { s in s.autoscale.map { Autoscaler(policy: $0, workers: s.workers) } }
        breakers = program.breakerPolicies.map { CircuitBreaker(policy: $0) }
        let streams = self.streams, warmupEnd = self.warmupEnd
        caches = arch.caches.map { DistributedCache($0, streams: streams) }
        for (d, db) in arch.databases.enumerated() {
            shardBase.append(databases.count)
            shardCount.append(db.shards)
            for shard in 0..<db.shards {
                databases.append(ReplicaSet(db, database: d, shard: shard, index: databases.count, measuredFrom: warmupEnd,
                                            streams: streams))
            }
        }
        recorder = Recorder(scenario: scenario)
        let placed = Self.placement(arch, machineBase: machineBase)
        instanceMachine = placed.instances
        serverMachine = placed.servers
        instanceCrashes = instances.map { _ in 0 }
        serverCrashes = databases.map { $0.servers.map { _ in 0 } }
        machineCrashes = machines.map { _ in 0 }
        if hasHosts {
            for d in databases.indices { databases[d].placeOnHosts(serverMachine[d].map { $0 >= 0 }) }
        }
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
        return result()
    }

    /// What this replication measured: the recorder's counts and each component's own results.
    func result() -> ReplicationResult {
        let seconds = Double(end - warmupEnd) / 1e9
        let pools = PoolSizes(tasks: tasks.count, requests: requests.count, events: events.count,
                              databaseQueues: databases.reduce(0) { $0 + $1.queuedWork },
                              lastWrite: databases.reduce(0) { $0 + $1.lastWriteSlots })
        var result = recorder.result(replication: replication, seed: seed,
                                     instances: scenario.architecture.services.map(\.instances),
                                     caches: caches.map { $0.result(end: end) },
                                     databases: databases.map { $0.result(seconds: seconds, end: end) },
                                     events: events.processed, pools: pools)
        let arch = scenario.architecture
        for (s, service) in arch.services.enumerated() {
            // Cores the service's instances run on: its own per instance, or the machines of its host it uses.
            let cores: Double? = if let c = service.cores { Double(c * service.instances) }
                else if let h = service.host { Double(arch.hosts[h].cores * min(service.instances, arch.hosts[h].count)) }
                else { nil }
            if let cores { result.services[s].cpuUtilization = cpuWork[s] / (seconds * 1e9 * cores) }
        }
        result.hosts = arch.hosts.enumerated().map { h, host in
            let range = machineBase[h] ..< machineBase[h] + host.count
            let busy = range.reduce(0.0) { $0 + machines[$1].busyCores.mean(until: end) }
            let jobs = range.reduce(0) { $0 + machines[$1].completed }
            return HostResult(utilization: busy / Double(host.cores * host.count), throughput: Double(jobs) / seconds)
        }
        if tracksPath { result.breakdown = pathCounts.map { $0.result() } }
        for (s, service) in arch.services.enumerated() where !service.pools.isEmpty {
            let wait = clientPools.wait[s]
            result.services[s].poolWaitMs = wait.count > 0 ? wait.mean / 1e6 : nil
            result.services[s].p99PoolWaitMs = wait.count > 0 ? wait.percentile(99) / 1e6 : nil
        }
        return result
    }

    /// The instances of service `s` in `instances` (autoscaling slots included).
    @inline(__always) func instancesOf(service s: Int) -> Range<Int> {
        firstInstance[s] ..< firstInstance[s] + balancers[s].count
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
        case .resume: resume(TaskID(index))
        case .deliver: admit(TaskID(index))
        case .answered: answered(TaskID(index))
        case .timeout: timeout(RequestID(index), generation: generation)
        case .shareDone: shareDone(index, generation: generation)
        case .callTimeout: callTimedOut(TaskID(index), generation: generation)
        case .retry: retry(TaskID(index))
        case .dbArrive: databaseArrive(TaskID(index))
        case .queryDone: queryDone(TaskID(index), generation: generation)
        case .shipArrive: shipArrive(ServerID(packed: index), generation: generation)
        case .applyDone: applyDone(ServerID(packed: index), token: generation)
        case .diskDone: diskDone(TaskID(index), generation: generation)
        case .flushDone: flushDone(ServerID(packed: index), generation: generation)
        case .lockTimeout: lockTimeout(TaskID(index), generation: generation)
        case .cacheArrive: cacheArrive(TaskID(index))
        case .cacheServed: cacheServed(TaskID(index))
        case .poolTimeout: poolTimeout(TaskID(index), generation: generation)
        case .queryReturned: queryReturned(TaskID(index))
        case .machineDone: machineDone(index, generation: generation)
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
        case .warmupEnds:
            // Time-weighted gauges measure afresh from here.
            recorder.restart(at: events.now)
            for d in databases.indices { databases[d].restartGauges(at: events.now) }
            for c in caches.indices { caches[c].restartGauges(at: events.now) }
            for m in machines.indices { machines[m].restartGauges(at: events.now) }
        }
    }

    func closeWindow() { recorder.roll(events.now) }

    // MARK: - Requests

    /// A request draws one key from each step key space (every request, whatever its type, so
    /// that the draws follow arrivals alone: common random numbers across architectures).
    func drawStepKeys(_ r: RequestID) {
        let n = stepKeySamplers.count, base = Int(r.index) * n
        if base + n > stepKeys.count { stepKeys.append(contentsOf: repeatElement(0, count: max(base + n - stepKeys.count, stepKeys.count))) }
        for k in 0..<n {
            stepKeys[base + k] = KeyId.make(space: program.stepKeySpaces[k], id: stepKeySamplers[k].sample())
        }
    }

    /// Request `r`'s key of step key space number `k`: its own key when it comes from that space.
    func stepKey(_ r: RequestID, _ k: Int) -> UInt64 {
        let space = program.stepKeySpaces[k]
        if requests[r].hasKey && KeyId.space(requests[r].key) == space { return requests[r].key }
        return stepKeys[Int(r.index) * stepKeySamplers.count + k]
    }

    /// A request arrives from a client (open traffic) or from closed user `user`.
    func arrive(user: Int32) {
        let now = events.now
        let type = traffic.nextType()
        let key = traffic.key(for: type)
        let r = allocateRequest(Request(type: Int32(type), key: key ?? 0, hasKey: key != nil, arrival: now,
                                        measured: now >= warmupEnd, user: user))
        recorder.arrived(type: type, measured: requests[r].measured, at: now)
        if !stepKeySamplers.isEmpty { drawStepKeys(r) }
        if let timeout = scenario.workload.requestTypes[type].timeout {
            events.scheduleTimeout(after: timeout, EventKind.timeout.payload(Int(r.index), generation: requests[r].generation))
        }
        let route = scenario.architecture.routes[type]
        let t = allocateTask(Task(request: r, parent: .client, service: Int32(route.service),
                                  pc: program.entry[route.service][route.operation], isBranch: false))
        tasks[t].endPC = program.endOf[Int(tasks[t].pc)]
        admit(t)
    }

    /// The request's answer reaches its client (success or error), unless it timed out already.
    func finishRequest(_ r: RequestID, failure: Failure) {
        if !requests[r].answered {
            requests[r].answered = true
            recorder.answered(type: Int(requests[r].type), measured: requests[r].measured,
                              latency: events.now - requests[r].arrival, failure: failure, at: events.now)
            userThinks(requests[r].user)
        }
        releaseRequestIfDone(r)
    }

    /// `--breakdown`: root task `t` answers its request: its times by cause, which sum to the
    /// response time, join its type's and all requests' splits.
    func recordPath(_ t: TaskID) {
        let r = tasks[t].request
        let latency = events.now - requests[r].arrival
        let times = path.times(of: t)
        assert(times.reduce(0, +) == latency, "the causes must sum to the response time")
        pathCounts[Int(requests[r].type)].record(latency: latency, times)
        pathCounts[pathCounts.count - 1].record(latency: latency, times)
    }

    /// The request's own timeout: its client gives up; the work downstream goes on.
    func timeout(_ r: RequestID, generation: UInt32) {
        guard requests[r].generation & 0xFF_FFFF == generation, !requests[r].answered else { return }
        requests[r].answered = true
        recorder.answered(type: Int(requests[r].type), measured: requests[r].measured,
                          latency: events.now - requests[r].arrival, failure: .timeout, at: events.now)
        userThinks(requests[r].user)
    }

    func userThinks(_ user: Int32) {
        guard user >= 0 else { return }
        events.schedule(after: traffic.thinkTime(), EventKind.userSends.payload(Int(user)))
    }

    // MARK: - Slots of tasks and requests

    func allocateTask(_ task: Task) -> TaskID {
        requests[task.request].tasks += 1
        if let t = freeTasks.popLast() {
            // Keep counting the slot's generation: a stale call timeout or query completion
            // meant for the slot's previous task must not match the new one.
            var task = task
            task.generation = tasks[t].generation &+ 1
            tasks[t] = task
            return t
        }
        tasks.append(task)
        return TaskID(tasks.count - 1)
    }

    func freeTask(_ t: TaskID) {
        let r = tasks[t].request
        tasks[t].phase = .free
        freeTasks.append(t)
        requests[r].tasks -= 1
        releaseRequestIfDone(r)
    }

    /// A request's slot is reused once it is answered and none of its work is left.
    func releaseRequestIfDone(_ r: RequestID) {
        if requests[r].answered && requests[r].tasks == 0 {
            requests[r].generation &+= 1
            requests[r].tasks = -1   // released: never twice
            freeRequests.append(r)
        }
    }

    func allocateRequest(_ request: Request) -> RequestID {
        if let r = freeRequests.popLast() {
            var request = request
            request.generation = requests[r].generation
            requests[r] = request
            return r
        }
        requests.append(request)
        return RequestID(requests.count - 1)
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
package enum EventKind: UInt8 {
    case arrival, userSends, resume, deliver, answered, timeout, shareDone, windowEnds, warmupEnds
    case callTimeout, retry, dbArrive, queryDone, shipArrive, applyDone, diskDone, flushDone, lockTimeout
    case cacheArrive, cacheServed, poolTimeout, queryReturned, machineDone
    case faultStarts, faultEnds, healthDown, healthUp, failover, autoscale, instanceReady

    @inline(__always) package func payload(_ index: Int = 0, generation: UInt32 = 0) -> UInt64 {
        UInt64(rawValue) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
    }

    @inline(__always) package func payload(_ task: TaskID, generation: UInt32 = 0) -> UInt64 {
        payload(Int(task.index), generation: generation)
    }
}
