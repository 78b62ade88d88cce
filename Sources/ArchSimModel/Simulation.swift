// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats

/// One replication of a scenario: the model's state and the event loop that drives it.
///
/// Follow a request: ``Traffic`` makes it arrive (`arrival`), the ``LoadBalancer`` picks an
/// instance of the routed service (`admit`), the ``ServiceInstance`` gives it a worker or queues
/// it, and its operation's compiled ``Program`` runs (`run`): compute, call other services over
/// the network (`deliver` / `answered`), fork and join, wait. When the root operation ends the
/// request is answered (`finishRequest`) and recorded in the ``Recorder``, from which
/// ``ReplicationResult`` and then the CSV rows come.
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
    var tasks: [Task] = []
    var freeTasks: [Int32] = []
    var requests: [Request] = []
    var freeRequests: [Int32] = []
    var recorder: Recorder
    /// Scratch list reused by processor-sharing completions.
    var finished: [Int32] = []

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
            for _ in 0..<service.instances {
                instances.append(ServiceInstance(service: Int32(s), workers: service.workers,
                                                 queueCapacity: service.queueCapacity, cores: service.cores))
            }
            balancers.append(LoadBalancer(policy: service.balancer ?? arch.balancer, service: service.name,
                                          instances: service.instances, streams: streams))
        }
        asyncService = arch.services.map { $0.io == .async }
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
        recorder.closeWindow(at: end, inFlight: recorder.inFlight)
        progress?(end, events.processed)
        return recorder.result(replication: replication, seed: seed, simulation: self)
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
    }

    @inline(__always) func dispatch(_ payload: UInt64) {
        let index = Int(truncatingIfNeeded: payload & 0xFFFF_FFFF)
        switch EventKind(rawValue: UInt8(payload >> 56))! {
        case .arrival:
            arrive(user: -1)
            if let t = traffic.nextArrival(after: events.now, end: end) { events.schedule(at: t, EventKind.arrival.payload()) }
        case .userSends: arrive(user: Int32(index))
        case .resume: resume(Int32(index))
        case .deliver: admit(Int32(index))
        case .answered: answered(Int32(index))
        case .timeout: timeout(Int32(index), generation: UInt32((payload >> 32) & 0xFF_FFFF))
        case .shareDone: shareDone(index, generation: UInt32((payload >> 32) & 0xFF_FFFF))
        case .windowEnds:
            recorder.closeWindow(at: events.now, inFlight: recorder.inFlight)
            // The last window closes at the end of the run (see run()).
            let next = events.now + scenario.window
            if next < end { events.schedule(at: next, EventKind.windowEnds.payload()) }
        case .warmupEnds: recorder.restart(at: events.now, simulation: self)
        }
    }

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
        let t = allocateTask(Task(request: r, parent: -1, service: Int32(route.service),
                                  pc: program.entry[route.service][route.operation], isBranch: false))
        tasks[Int(t)].endPC = endPC(from: tasks[Int(t)].pc)
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
        requests[i].generation &+= 1
        freeRequests.append(r)
    }

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

    // MARK: - Services

    /// A task reaches its service: the balancer picks an instance, which runs it, queues it or
    /// rejects it.
    func admit(_ t: Int32) {
        let ti = Int(t)
        let s = Int(tasks[ti].service)
        let first = firstInstance[s]
        let key: UInt64? = requests[Int(tasks[ti].request)].hasKey ? requests[Int(tasks[ti].request)].key : nil
        let count = balancers[s].count
        let picked = instances.withUnsafeBufferPointer {
            balancers[s].pick(key: key, instances: UnsafeBufferPointer(rebasing: $0[first ..< first + count]))
        }
        guard let pick = picked else { return fail(t, .failed) }
        let inst = first + pick
        tasks[ti].instance = Int32(inst)
        if instances[inst].busy < instances[inst].workers {
            instances[inst].open += 1
            instances[inst].busy += 1
            recorder.workerTaken(service: s, at: events.now)
            recorder.waited(service: s, 0, at: events.now)
            tasks[ti].holdsWorker = true
            run(t)
        } else if instances[inst].queue.count < instances[inst].queueCapacity {
            instances[inst].open += 1
            tasks[ti].queuedAt = events.now
            instances[inst].queue.append(t)
            recorder.queued(service: s, delta: 1, at: events.now)
        } else {
            recorder.rejected(service: s, at: events.now)
            tasks[ti].instance = -1
            fail(t, .rejected)
        }
    }

    /// The task could not be served: answer its caller with an error.
    func fail(_ t: Int32, _ failure: Failure) {
        tasks[Int(t)].failure = failure
        reply(t)
    }

    /// Sends a finished (or failed) task's answer back to its caller.
    func reply(_ t: Int32) {
        let ti = Int(t)
        if tasks[ti].parent < 0 {
            let r = tasks[ti].request, failure = tasks[ti].failure
            freeTask(t)
            finishRequest(r, failure: failure)
        } else if let hop {
            events.schedule(after: hop.sample(), EventKind.answered.payload(ti))
        } else {
            answered(t)
        }
    }

    /// A called operation's answer reaches its caller.
    func answered(_ t: Int32) {
        let ti = Int(t)
        let parent = tasks[ti].parent
        if tasks[ti].failure != .ok && tasks[Int(parent)].failure == .ok {
            tasks[Int(parent)].failure = tasks[ti].failure
        }
        freeTask(t)
        resume(parent)
    }

    /// Gives a worker back to instance `inst`: the longest-waiting task takes it.
    func releaseWorker(_ inst: Int) {
        let s = Int(instances[inst].service)
        if let next = instances[inst].queue.popFirst() {
            recorder.queued(service: s, delta: -1, at: events.now)
            recorder.waited(service: s, events.now - tasks[Int(next)].queuedAt, at: events.now)
            tasks[Int(next)].holdsWorker = true
            run(next)
        } else {
            instances[inst].busy -= 1
            recorder.workerReleased(service: s, at: events.now)
        }
    }

    /// A task's wait is over (compute, delay, call or join): go on with its next instruction.
    /// An `io: async` task that gave its worker back needs one again before computing.
    func resume(_ t: Int32) {
        let ti = Int(t)
        if tasks[ti].failure != .ok { tasks[ti].pc = tasks[ti].endPC }
        if !tasks[ti].holdsWorker && !tasks[ti].isBranch && program.code[Int(tasks[ti].pc)].op == .cpu {
            let inst = Int(tasks[ti].instance)
            if instances[inst].busy < instances[inst].workers {
                instances[inst].busy += 1
                recorder.workerTaken(service: Int(instances[inst].service), at: events.now)
                tasks[ti].holdsWorker = true
            } else {
                // Already admitted: it waits for a worker whatever the queue's bound.
                tasks[ti].queuedAt = events.now
                instances[inst].queue.append(t)
                recorder.queued(service: Int(instances[inst].service), delta: 1, at: events.now)
                return
            }
        }
        run(t)
    }

    /// An `io: async` task gives its worker back while it waits downstream.
    @inline(__always) func waitDownstream(_ ti: Int) {
        if tasks[ti].holdsWorker && !tasks[ti].isBranch && asyncService[Int(tasks[ti].service)] {
            tasks[ti].holdsWorker = false
            releaseWorker(Int(tasks[ti].instance))
        }
    }

    /// Runs task `t` from its program counter until it has to wait.
    func run(_ t: Int32) {
        let ti = Int(t)
        let instruction = program.code[Int(tasks[ti].pc)]
        tasks[ti].pc += 1
        switch instruction.op {
        case .cpu:
            let work = program.samplers[Int(instruction.a)].sample()
            let inst = Int(tasks[ti].instance)
            if instances[inst].cores > 0 {
                shareAdd(t, work: work, instance: inst)
            } else {
                events.schedule(after: work, EventKind.resume.payload(ti))
            }
        case .delay:
            let wait = program.samplers[Int(instruction.a)].sample()
            waitDownstream(ti)
            events.schedule(after: wait, EventKind.resume.payload(ti))
        case .call:
            let service = Int(instruction.a)
            let child = allocateTask(Task(request: tasks[ti].request, parent: t, service: instruction.a,
                                          pc: program.entry[service][Int(instruction.b)], isBranch: false))
            tasks[Int(child)].endPC = endPC(from: tasks[Int(child)].pc)
            waitDownstream(ti)
            if let hop { events.schedule(after: hop.sample(), EventKind.deliver.payload(Int(child))) }
            else { admit(child) }
        case .fork:
            let count = Int(instruction.b)
            tasks[ti].pending = Int32(count)
            waitDownstream(ti)
            for b in 0..<count {
                let pc = program.forkTargets[Int(instruction.a) + b]
                let branch = allocateTask(Task(request: tasks[ti].request, parent: t, service: tasks[ti].service,
                                               pc: pc, isBranch: true))
                tasks[Int(branch)].instance = tasks[ti].instance
                tasks[Int(branch)].endPC = endPC(from: pc)
                run(branch)
            }
        case .branchEnd:
            let parent = Int(tasks[ti].parent)
            if tasks[ti].failure != .ok && tasks[parent].failure == .ok { tasks[parent].failure = tasks[ti].failure }
            freeTask(t)
            tasks[parent].pending -= 1
            if tasks[parent].pending == 0 { resume(Int32(parent)) }
        case .end:
            let inst = Int(tasks[ti].instance)
            if tasks[ti].holdsWorker {
                tasks[ti].holdsWorker = false
                releaseWorker(inst)
            }
            instances[inst].open -= 1
            recorder.served(service: Int(tasks[ti].service), at: events.now)
            reply(t)
        }
    }

    /// The pc of the `end` or `branchEnd` closing the code that starts at `pc`.
    @inline(__always) func endPC(from pc: Int32) -> Int32 { program.endOf[Int(pc)] }

    // MARK: - Processor sharing

    func shareAdd(_ t: Int32, work: Int64, instance inst: Int) {
        instances[inst].advanceVirtualTime(to: events.now)
        tasks[Int(t)].shareFinish = instances[inst].virtualTime + Double(work)
        instances[inst].computing.append(t)
        shareReschedule(inst)
    }

    func shareReschedule(_ inst: Int) {
        instances[inst].completionGeneration &+= 1
        guard !instances[inst].computing.isEmpty else { return }
        var soonest = Double.infinity
        for t in instances[inst].computing { soonest = min(soonest, tasks[Int(t)].shareFinish) }
        let wait = max(0, (soonest - instances[inst].virtualTime) / instances[inst].shareRate)
        events.schedule(after: Int64(wait.rounded(.up)),
                        EventKind.shareDone.payload(inst, generation: instances[inst].completionGeneration))
    }

    func shareDone(_ inst: Int, generation: UInt32) {
        guard instances[inst].completionGeneration & 0xFF_FFFF == generation else { return }
        instances[inst].advanceVirtualTime(to: events.now)
        let v = instances[inst].virtualTime
        finished.removeAll(keepingCapacity: true)
        // Keep the order of `computing` (deterministic) for those that stay and those done.
        var kept = 0
        for k in 0..<instances[inst].computing.count {
            let t = instances[inst].computing[k]
            if tasks[Int(t)].shareFinish <= v + 0.5 { finished.append(t) }
            else { instances[inst].computing[kept] = t; kept += 1 }
        }
        instances[inst].computing.removeLast(instances[inst].computing.count - kept)
        shareReschedule(inst)
        let done = finished
        for t in done { resume(t) }
    }

    // MARK: - Pools

    func allocateTask(_ task: Task) -> Int32 {
        if let t = freeTasks.popLast() { tasks[Int(t)] = task; return t }
        tasks.append(task)
        return Int32(tasks.count - 1)
    }

    func freeTask(_ t: Int32) { freeTasks.append(t) }

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
    case ok, rejected, failed, timeout
}

/// Kinds of events, packed in a payload's top byte.
enum EventKind: UInt8 {
    case arrival, userSends, resume, deliver, answered, timeout, shareDone, windowEnds, warmupEnds

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
    /// Bumped when the slot is reused, so a stale timeout is ignored.
    var generation: UInt32 = 0
}

/// A piece of work in progress: an operation running at a service for one request, or one
/// branch of a parallel step.
struct Task {
    var request: Int32
    /// The task waiting for this one (-1: the client).
    var parent: Int32
    var service: Int32
    var instance: Int32 = -1
    var pc: Int32
    /// Where to jump when a call failed: the operation's or branch's end.
    var endPC: Int32 = 0
    /// Branches still running (fork).
    var pending: Int32 = 0
    var holdsWorker = false
    var isBranch: Bool
    var failure: Failure = .ok
    var queuedAt: Int64 = 0
    /// Processor sharing: virtual time at which its CPU work is done.
    var shareFinish = 0.0

    init(request: Int32, parent: Int32, service: Int32, pc: Int32, isBranch: Bool) {
        self.request = request; self.parent = parent; self.service = service; self.pc = pc; self.isBranch = isBranch
    }
}
