// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Hosts (co-location): the machines components are placed on, their shared CPU, and their
/// faults. A service instance i of a service on host h runs on machine i mod count; a shard's
/// primary on machine shard mod count, replica r on machine r mod count.
extension Simulation {
    /// The machine (index into `machines`) of each instance slot, and of each replica set's
    /// servers; -1: not on a host.
    static func placement(_ arch: Architecture, machineBase: [Int]) -> (instances: [Int32], servers: [[Int32]]) {
        var instances: [Int32] = []
        for service in arch.services {
            let slots = max(service.instances, service.autoscale?.max ?? 0)
            for n in 0..<slots {
                guard let h = service.host else { instances.append(-1); continue }
                instances.append(Int32(machineBase[h] + n % arch.hosts[h].count))
            }
        }
        var servers: [[Int32]] = []
        for db in arch.databases {
            for shard in 0..<db.shards {
                var set: [Int32] = []
                for s in 0...db.replicaCount {
                    let server = s == 0 ? db.primary : db.replica
                    guard let h = server.host else { set.append(-1); continue }
                    set.append(Int32(machineBase[h] + (s == 0 ? shard : s - 1) % arch.hosts[h].count))
                }
                servers.append(set)
            }
        }
        return (instances, servers)
    }

    /// Schedules machine `m`'s next completion in place of the pending one, which is stale now
    /// (keyed events, as ``scheduleComputing(instance:_:)``).
    @inline(__always) func scheduleMachine(_ m: Int, _ next: ServiceInstance.NextCompletion?) {
        guard let next else { return events.cancelKeyed(2 * m + 1) }
        events.scheduleKeyed(2 * m + 1, after: next.delay, EventKind.machineDone.payload(m, generation: next.generation))
    }

    /// Task `t` computes `work` ns of CPU work on machine `m` (stretched by the machine's slow
    /// factor); its completion resumes it (`.computing`) or ends its query (`.atDatabase`).
    func compute(_ t: TaskID, work: Int64, onMachine m: Int) {
        let slow = machines[m].stretch
        let time = slow == 1 ? work : Distribution.saturatingNanoseconds(Double(work) * slow)
        if tracksPath && slow != 1 { path.setWork(t, time) }
        scheduleMachine(m, machines[m].add(t, work: time, tag: tasks[t].generation, at: events.now))
    }

    /// A machine's processor sharing: the jobs done go on — a computing task resumes, a query
    /// ends — unless their task moved on meanwhile.
    func machineDone(_ m: Int, generation: UInt32) {
        machineJobs.removeAll(keepingCapacity: true)
        guard machines[m].complete(generation: generation, at: events.now, counted: events.now >= warmupEnd,
                                   into: &machineJobs) else { return }
        scheduleMachine(m, machines[m].next())
        let done = machineJobs
        for job in done {
            if job.task.index < 0 {
                // A replica's apply job.
                let slot = Int(-1 - job.task.index)
                let apply = applyJobs[slot]
                freeApplyJobs.append(slot)
                applyDone(ServerID(database: Int(apply.set), server: Int(apply.server)), token: apply.token)
                continue
            }
            let t = job.task
            guard tasks[t].alive, tasks[t].generation == job.tag else { continue }
            switch tasks[t].phase {
            case .computing:
                tasks[t].phase = .running
                resume(t)
            case .atDatabase: queryDone(t, generation: job.tag & 0xFF_FFFF)
            default: break
            }
        }
    }

    /// Drops machine `m`'s jobs that were lost (a crash of something on it): a task's job once
    /// the task is freed or has moved on (a failed query's generation was bumped), an apply job
    /// once its replica is down. A killed task's query at a server that is still up goes on: the
    /// server does not know its caller crashed.
    func purgeMachine(_ m: Int) {
        var lostApplies: [Int] = []
        for job in machines[m].cpu.jobs where job.task.index < 0 {
            let apply = applyJobs[Int(-1 - job.task.index)]
            if databases[Int(apply.set)].servers[Int(apply.server)].down { lostApplies.append(Int(-1 - job.task.index)) }
        }
        let next = machines[m].purge(at: events.now) { job in
            if job.task.index < 0 { return lostApplies.contains(Int(-1 - job.task.index)) }
            return !tasks[job.task].alive || tasks[job.task].generation != job.tag
        }
        freeApplyJobs += lostApplies
        scheduleMachine(m, next)
    }

    /// Apply jobs replica set `d` started on servers placed on hosts become their machines' CPU
    /// work (each named in the machine's processor sharing by a negative task index).
    func drainHostApplies(_ d: Int) {
        guard hasHosts else { return }
        while let apply = databases[d].takeHostApply() {
            let slot: Int
            if let free = freeApplyJobs.popLast() { slot = free } else { applyJobs.append((0, 0, 0)); slot = applyJobs.count - 1 }
            applyJobs[slot] = (Int32(d), Int32(apply.server), apply.token)
            let m = Int(serverMachine[d][apply.server])
            let slow = machines[m].stretch
            let time = slow == 1 ? apply.time : Distribution.saturatingNanoseconds(Double(apply.time) * slow)
            scheduleMachine(m, machines[m].add(TaskID(-1 - slot), work: time, tag: 0, at: events.now))
        }
    }

    // MARK: Faults

    /// Machine `m` crashes: every service instance and database server on it crashes with it
    /// (a primary fails over if configured; buffer pools restart empty).
    func crashMachine(_ m: Int) {
        machineCrashes[m] += 1
        guard machineCrashes[m] == 1 else { return }   // already down
        for inst in instances.indices where instanceMachine[inst] == Int32(m) && !instances[inst].down {
            crashInstance(inst)
        }
        for d in databases.indices {
            for s in serverMachine[d].indices where serverMachine[d][s] == Int32(m) && !databases[d].servers[s].down {
                crashDatabaseServer(database: d, server: s)
            }
        }
        // Apply jobs computing there are lost with it; their slots are free again.
        for job in machines[m].cpu.jobs where job.task.index < 0 { freeApplyJobs.append(Int(-1 - job.task.index)) }
        machines[m].crash(at: events.now)
    }

    /// Whether machine `m` (-1: none) is down.
    @inline(__always) func machineDown(_ m: Int32) -> Bool { m >= 0 && machines[Int(m)].down }

    /// Machine `m` is back, and everything on it that no crash fault of its own holds down.
    func recoverMachine(_ m: Int) {
        machineCrashes[m] -= 1
        guard machineCrashes[m] == 0 else { return }
        machines[m].down = false
        for inst in instances.indices where instanceMachine[inst] == Int32(m) && instances[inst].down && instanceCrashes[inst] == 0 {
            recoverInstance(inst)
        }
        for d in databases.indices {
            for s in serverMachine[d].indices
            where serverMachine[d][s] == Int32(m) && databases[d].servers[s].down && serverCrashes[d][s] == 0 {
                databases[d].recover(server: s, at: events.now, events: &events)
                drainHostApplies(d)
            }
        }
    }
}
