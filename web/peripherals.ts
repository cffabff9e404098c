/**
 * What the page sees of the lock's peripherals on the Jacdac bus, as a logic analyser would:
 * the latch servo's angle (the firmware's register writes and the servo's own reports) and the
 * buzzer's tones (PlayTone commands). Nothing here interprets them beyond decoding.
 */
import {
    BuzzerCmd,
    CMD_GET_REG,
    CMD_SET_REG,
    DEVICE_ANNOUNCE,
    JDBus,
    JDDevice,
    Packet,
    PACKET_PROCESS,
    ServoReg,
    SRV_BUZZER,
    SRV_SERVO,
} from "jacdac-ts"
import { toneOfPlayTone, type Tone } from "./logic"

export interface PeripheralHandlers {
    /** The servo's angle request changed (degrees) or its power was switched. */
    onLatch(angle: number, enabled: boolean): void
    /** The buzzer was told to play a tone. */
    onTone(tone: Tone): void
}

export class PeripheralWatcher {
    angle: number | undefined
    enabled = false

    constructor(
        private readonly bus: JDBus,
        private readonly handlers: PeripheralHandlers,
    ) {
        bus.on(PACKET_PROCESS, (pkt: Packet) => this.onPacket(pkt))
        bus.on(DEVICE_ANNOUNCE, (dev: JDDevice) => this.askServo(dev))
        // the servo never reports by itself: read it now and then (a page opened late catches up)
        setInterval(() => bus.devices({ serviceClass: SRV_SERVO }).forEach(d => this.askServo(d)), 3000)
    }

    private askServo(dev: JDDevice) {
        for (const s of dev.services({ serviceClass: SRV_SERVO })) {
            void s.register(ServoReg.Angle).sendGetAsync()
            void s.register(ServoReg.Enabled).sendGetAsync()
        }
    }

    private onPacket(pkt: Packet) {
        const sc = pkt.serviceClass
        if (sc === SRV_SERVO) {
            const cmd = pkt.serviceCommand
            // a write by the firmware, or the servo answering a read
            const write = pkt.isCommand && (cmd === (CMD_SET_REG | ServoReg.Angle) || cmd === (CMD_SET_REG | ServoReg.Enabled))
            const report = pkt.isReport && (cmd === (CMD_GET_REG | ServoReg.Angle) || cmd === (CMD_GET_REG | ServoReg.Enabled))
            if (!write && !report) return
            if ((cmd & 0xfff) === ServoReg.Angle) {
                const [a] = pkt.jdunpack<[number]>("i16.16")
                if (typeof a !== "number") return
                this.angle = a
            } else {
                const [en] = pkt.jdunpack<[number]>("u8")
                this.enabled = !!en
            }
            if (this.angle !== undefined) this.handlers.onLatch(this.angle, this.enabled)
        } else if (sc === SRV_BUZZER && pkt.isCommand && pkt.serviceCommand === BuzzerCmd.PlayTone) {
            const [period, duty, duration] = pkt.jdunpack<[number, number, number]>("u16 u16 u16")
            const tone = toneOfPlayTone(period, duty, duration)
            if (tone) this.handlers.onTone(tone)
        }
    }
}
