/**
 * The bus guard: on a board, the lock's parts (keypad, program button, latch servo, buzzer, latch
 * switch, door contact) are the board's own services, and only theirs count.
 *
 * Their roles carry hinted names (./board.g.ts ROLE_NAMES) that the runtime never auto-binds to
 * another device on hardware. A bus peer can still bind any role to a service of its own with the
 * role manager's SetRole command (jacdac-c client/rolemgr.c applies it from any peer). So every
 * packet that reaches one of these roles is checked here, before the role sees it: a packet from
 * a device that is not the board's own (the ids ./board.g.ts guardOwnParts gives) is dropped (no
 * key, no button press, no reading reaches the lock), and the first one after each such binding
 * is reported, to be audited and raised as the ForeignPart alarm. The check runs at the runtime's
 * one entry for a role's packets (`Role.prototype._onPacket`, which @devicescript/core's own
 * role code also fills in), so it sees announcements too: a role bound to a foreign device is
 * noticed within one announce period (about 0.5 s), even if that device never sends an event.
 *
 * What it cannot do: the latch role bound to a foreign servo still sends its moves there, so the
 * board's own servo stays where it is until the lock restarts (which binds it again); the
 * ForeignPart alarm is what the owner gets. In the simulator and the test firmware, whose parts
 * are other devices on the bus, the guard is never started (the test firmware does not even
 * contain it).
 */
import * as ds from "@devicescript/core"
import { partName } from "../core/index"

interface Guarded {
    role: ds.Role
    part: number
    /** The role is bound to a foreign device (reported; packets dropped). */
    foreign: boolean
}

const guarded: Guarded[] = []
/** The board's own device ids (the guard runs once they are set). */
let own: string[] = null
let report: (part: number) => void = null
/** Parts found bound to a foreign device before the lock could be told. */
const unreported: number[] = []

/** Watches `role` as the lock's part `part` (LockPart). */
export function guardPart(role: ds.Role, part: number) {
    guarded.push({ role: role, part: part, foreign: false })
}

function noteForeign(g: Guarded, pkt: ds.Packet) {
    g.foreign = true
    console.log(`lock: bus guard: the ${partName(g.part)} role is bound to device ${pkt.shortId}, not the board's own: its packets are ignored`)
    if (report) report(g.part)
    else unreported.push(g.part)
}

/** Whether the packet `pkt` for `role` may reach it. */
function admits(role: ds.Role, pkt: ds.Packet): boolean {
    for (const g of guarded) {
        if (g.role !== role) continue
        if (own.indexOf(pkt.deviceIdentifier) >= 0) {
            g.foreign = false
            return true
        }
        if (!g.foreign) noteForeign(g, pkt)
        return false
    }
    return true
}

interface GuardedRole {
    _unguardedOnPacket(pkt: ds.Packet): Promise<void>
}

/**
 * Starts the guard, before the parts' roles can bind (./board.g.ts guardOwnParts, first thing at
 * start-up): from now on the part roles take packets only from the devices `ownDevices`.
 */
export function startBusGuard(ownDevices: string[]) {
    own = ownDevices
    const proto = ds.Role.prototype as any
    // the role code's own _onPacket, unbound: read as `proto._onPacket` it would come bound to
    // the prototype (the runtime binds a method to the object it is read from); Object.values
    // hands over the stored function as it is, which then binds to whichever role calls it
    const values = Object.values(proto)
    proto._unguardedOnPacket = values[Object.keys(proto).indexOf("_onPacket")]
    proto._onPacket = async function (this: ds.Role, pkt: ds.Packet) {
        // no packet: the binding itself changed (the runtime passes none)
        if (pkt && !admits(this, pkt)) return
        await (this as any as GuardedRole)._unguardedOnPacket(pkt)
    }
}

/** From now on, each part found bound to a foreign device goes to `to` (those found before, at once). */
export function reportForeignParts(to: (part: number) => void) {
    report = to
    while (unreported.length > 0) to(unreported.shift())
}
