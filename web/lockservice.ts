/**
 * The page's only window on the lock's own state: the firmware's Latchkey Jacdac service
 * (services/latchkey.md), read through jacdac-ts like any other service. Registers are read a
 * few times a second; events arrive as the lock sends them. Every value is decoded by the
 * service's own specification (the build's services.json): names of states, modes, sources and
 * errors come from the spec's enums, not from this page. The page knows nothing about codes.
 */
import { EVENT, JDBus, JDEvent, JDService, REPORT_UPDATE } from "jacdac-ts"

export interface LockStatus {
    /** The service is on the bus (the firmware runs and serves it). */
    present: boolean
    /** Register values by register name (e.g. lock_state: "Locked", failure_count: 2). */
    values: { [name: string]: string | number | boolean }
    /** When each register was last read (performance.now() ms). */
    readAt: { [name: string]: number }
}

export interface LockEvent {
    /** Event name from the spec (e.g. "lock_operation"). */
    name: string
    /** Its fields, enum values by name. */
    fields: { [name: string]: string | number | boolean }
}

export interface LockServiceHandlers {
    onStatus(status: LockStatus): void
    onEvent(ev: LockEvent): void
}

/** The spec's short id of the lock's service. */
export const LOCK_SERVICE_ID = "latchkey"
/** One register is read per tick, in turn: a burst of reads makes the VM throttle its answers. */
const POLL_MS = 100

/** Decodes a packed value list with the spec's field names and enums. */
export function decodeFields(
    spec: jdspec.ServiceSpec,
    info: jdspec.PacketInfo,
    values: unknown[] | undefined,
): { [name: string]: string | number | boolean } {
    const out: { [name: string]: string | number | boolean } = {}
    if (!values) return out
    info.fields.forEach((f, i) => {
        const v = values[i]
        if (v === undefined) return
        const en = spec.enums[f.type]
        let shown: string | number | boolean = v as number
        if (en && typeof v === "number") {
            const name = Object.keys(en.members).find(k => en.members[k] === v)
            shown = name ?? v
        } else if (f.type === "bool") shown = !!v
        out[f.name === "_" ? info.name : f.name] = shown
    })
    return out
}

/** The registers the service itself declares (not those every Jacdac service inherits). */
export function ownRegisters(spec: jdspec.ServiceSpec | undefined): jdspec.PacketInfo[] {
    return (spec?.packets ?? []).filter(p => (p.kind === "ro" || p.kind === "rw") && !p.derived)
}

/** One line for the event log, e.g. "Unlock by Keypad (user 0)", "Unlock refused: InvalidCredential (Keypad), failures 3". */
export function describeLockEvent(ev: LockEvent): string {
    const f = ev.fields
    const user = typeof f.user_index === "number" && f.user_index !== 0xffff ? ` (user ${f.user_index})` : ""
    switch (ev.name) {
        case "lock_operation":
            return `${f.lock_operation_type} by ${f.operation_source}${user}`
        case "lock_operation_error":
            return `${f.lock_operation_type} refused: ${f.operation_error} (${f.operation_source}), failures ${f.failure_count}`
        case "door_lock_alarm":
            return `alarm: ${f.alarm_code}`
        case "lock_user_change":
            return `${f.lock_data_type === "ProgrammingCode" ? "master code" : "user"} ${f.data_operation_type} by ${f.operation_source}${user}`
    }
    const parts = Object.entries(f).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`)
    return `${ev.name.replace(/_/g, " ")}: ${parts.join(", ")}`
}

export class LockServiceReader {
    private service: JDService | undefined
    private status: LockStatus = { present: false, values: {}, readAt: {} }
    private turn = 0

    constructor(
        private readonly bus: JDBus,
        private readonly handlers: LockServiceHandlers,
    ) {
        bus.on(EVENT, (ev: JDEvent) => this.onEvent(ev))
        setInterval(() => this.poll(), POLL_MS)
    }

    /** The lock's spec, once services.json has been loaded into jacdac-ts. */
    get spec(): jdspec.ServiceSpec | undefined {
        return this.bus.serviceSpecifications.find(s => s.shortId === LOCK_SERVICE_ID)
    }

    private find(): JDService | undefined {
        const spec = this.spec
        if (!spec) return undefined
        return this.bus.services({ serviceClass: spec.classIdentifier })[0]
    }

    private poll() {
        const service = this.find()
        if (service !== this.service) {
            this.service = service
            this.status = { present: !!service, values: {}, readAt: {} }
            if (service) this.watch(service)
            this.handlers.onStatus(this.status)
        }
        if (!service) return
        const regs = ownRegisters(service.specification)
        if (!regs.length) return
        this.turn = (this.turn + 1) % regs.length
        void service.register(regs[this.turn].identifier).sendGetAsync()
    }

    private watch(service: JDService) {
        const spec = service.specification!
        for (const info of ownRegisters(spec)) {
            const reg = service.register(info.identifier)
            reg.on(REPORT_UPDATE, () => {
                if (this.service !== service) return
                Object.assign(this.status.values, decodeFields(spec, info, reg.unpackedValue))
                this.status.readAt[info.name] = performance.now()
                this.handlers.onStatus(this.status)
            })
        }
    }

    private onEvent(ev: JDEvent) {
        const service = ev.service
        const spec = this.spec
        if (!spec || service.serviceClass !== spec.classIdentifier) return
        const info = ev.specification
        if (!info) return
        this.handlers.onEvent({ name: info.name, fields: decodeFields(spec, info, ev.unpackedValue) })
    }
}
