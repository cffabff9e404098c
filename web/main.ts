/**
 * The simulator page. A jacdac-ts bus bridged onto the simulated board's bus (web/link.ts);
 * it draws what it sees there: the latch servo's angle, the buzzer's tones, the lock's own
 * service (state, mode, failures, lockout). Hands on the hardware (keys, program button, door,
 * power) go to the board as side-channel messages, each one action of a standard Jacdac server.
 * No lock logic here: no codes, no lockout rules, no timers of the lock's.
 */
import { JDBus } from "jacdac-ts"
import { BuzzerSound } from "./audio"
import { BoardLink } from "./link"
import { describeLockEvent, LockServiceReader, type LockStatus } from "./lockservice"
import { formatCountdown, keypadKeyOf, latchOpenFraction, linkBadge, patternOfTone, remainingNow, servoTravelMs, type Tone } from "./logic"
import { PeripheralWatcher } from "./peripherals"
import { TOKEN_PARAM, type NetStatus, type PageProfile, type ServerMessage, type VmState } from "./protocol"

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
    const el = document.getElementById(id)
    if (!el) throw new Error(`page: #${id} missing`)
    return el as T
}

/** This run's token, from the URL the simulator printed: every request to the simulator carries it. */
const TOKEN = new URLSearchParams(location.search).get(TOKEN_PARAM) ?? ""
const withToken = (path: string) => `${path}?${TOKEN_PARAM}=${encodeURIComponent(TOKEN)}`

/** Everything the page knows, all of it read from the bus or the board. */
const view = {
    connected: false,
    /** The simulator refuses this page (it was started again: a new token, a new URL). */
    refused: false,
    profile: undefined as PageProfile | undefined,
    firmware: "",
    vm: "off" as VmState,
    vmDetail: undefined as string | undefined,
    boots: 0,
    angle: undefined as number | undefined,
    servoOn: false,
    doorOpen: false,
    lock: { present: false, values: {}, readAt: {} } as LockStatus,
    /** The spec of the lock's service was loaded (the firmware has one). */
    lockSpec: false,
    specsLoaded: false,
    /** The simulator's broker and the lock's link to it. */
    net: { broker: null, brokerUp: false, link: "off" } as NetStatus,
}

const bus = new JDBus([], { client: true, disableRoleManager: true })
const buzzer = new BuzzerSound()

// ---- the event log and the console ----

function addLine(listId: string, text: string, cls?: string, max = 300) {
    const list = $(listId)
    const li = document.createElement("li")
    const time = new Date().toLocaleTimeString([], { hour12: false })
    li.innerHTML = `<time>${time}</time> `
    li.append(document.createTextNode(text))
    if (cls) li.className = cls
    list.prepend(li)
    while (list.children.length > max) list.lastElementChild?.remove()
}

const logEvent = (text: string, cls?: string) => addLine("events", text, cls)

// ---- keypad ----

function buildKeypad(labels: string) {
    const pad = $("keypad")
    pad.textContent = ""
    for (const label of labels) {
        const b = document.createElement("button")
        b.className = "key"
        b.textContent = label
        b.dataset.key = label
        b.setAttribute("aria-label", `key ${label}`)
        pressable(
            b,
            () => sendKey(label, true),
            () => sendKey(label, false),
        )
        pad.append(b)
    }
}

const held = new Set<string>()

function sendKey(key: string, down: boolean) {
    if (down === held.has(key)) return
    if (down) held.add(key)
    else held.delete(key)
    link.send({ t: "key", key, down })
    document.querySelector(`.key[data-key="${CSS.escape(key)}"]`)?.classList.toggle("down", down)
}

/** A button that acts while held: down on press, up on release (mouse, touch or pen). */
function pressable(el: HTMLElement, down: () => void, up: () => void) {
    let pressed = false
    el.addEventListener("pointerdown", ev => {
        buzzer.unlock()
        el.setPointerCapture(ev.pointerId)
        pressed = true
        down()
    })
    const release = () => {
        if (!pressed) return
        pressed = false
        up()
    }
    el.addEventListener("pointerup", release)
    el.addEventListener("pointercancel", release)
    el.addEventListener("lostpointercapture", release)
    // keyboard focus + space/enter on the button itself would click: the page's own key handling covers it
    el.addEventListener("keydown", ev => ev.preventDefault())
}

let programHeld = false
function sendProgram(down: boolean) {
    if (down === programHeld) return
    programHeld = down
    link.send({ t: "button", down })
    $("program").classList.toggle("down", down)
}

document.addEventListener("keydown", ev => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return
    buzzer.unlock()
    if (ev.key === "p" || ev.key === "P") {
        ev.preventDefault()
        if (!ev.repeat) sendProgram(true)
        return
    }
    const key = view.profile && keypadKeyOf(ev.key, view.profile.labels)
    if (!key) return
    ev.preventDefault()
    if (!ev.repeat) sendKey(key, true)
})
document.addEventListener("keyup", ev => {
    if (ev.key === "p" || ev.key === "P") return sendProgram(false)
    const key = view.profile && keypadKeyOf(ev.key, view.profile.labels)
    if (key) sendKey(key, false)
})
// a window that loses focus never sees the key go up: release everything held
window.addEventListener("blur", () => {
    for (const k of [...held]) sendKey(k, false)
    sendProgram(false)
})

pressable(
    $("program"),
    () => sendProgram(true),
    () => sendProgram(false),
)
$("door-toggle").addEventListener("click", () => link.send({ t: "door", open: !view.doorOpen }))
$("power-cut").addEventListener("click", () => link.send({ t: "power", action: "cut" }))
$("wipe").addEventListener("click", () => {
    if (confirm("Wipe the flash? The lock forgets its codes and starts in setup mode.")) link.send({ t: "power", action: "wipe" })
})
$("mute").addEventListener("click", () => {
    buzzer.muted = !buzzer.muted
    buzzer.unlock()
    $("mute").textContent = buzzer.muted ? "sound off" : "sound on"
})

// ---- the latch ----

function drawLatch() {
    const p = view.profile
    const label = $("latch-state")
    if (!p || view.angle === undefined) {
        label.textContent = "latch: servo not seen yet"
        return
    }
    const a = view.angle
    const f = latchOpenFraction(a, p.lockedAngle, p.unlockedAngle)
    const prev = Number(label.dataset.angle)
    const ms = Number.isFinite(prev) ? servoTravelMs(prev, a) : 0
    const horn = $("horn") as unknown as SVGGElement
    const bolt = $("bolt") as unknown as SVGRectElement
    for (const el of [horn, bolt]) el.style.transitionDuration = `${ms}ms`
    horn.style.transform = `rotate(${a}deg)`
    bolt.style.transform = `translateX(${-52 * f}px)`
    label.dataset.angle = String(a)
    const where = f >= 0.99 ? "open" : f <= 0.01 ? "locked" : "between"
    label.dataset.latch = where
    label.textContent = `latch ${where === "open" ? "OPEN" : where === "locked" ? "LOCKED" : "moving"} · servo at ${round(a)}°${view.servoOn ? "" : " (unpowered)"}`
    $("servo-label").textContent = `servo ${round(a)}°`
}

const round = (x: number) => Math.round(x * 10) / 10

// ---- the buzzer ----

let soundTimer: ReturnType<typeof setTimeout> | undefined
/** Counts the patterns heard (data-seq on the label), so a watcher can tell a new one from the last. */
let patterns = 0
function onTone(tone: Tone) {
    buzzer.play(tone)
    const grille = $("grille")
    grille.classList.remove("sounding")
    void grille.offsetWidth // restart the animation
    grille.classList.add("sounding")
    grille.style.setProperty("--tone-ms", `${tone.ms}ms`)
    const pattern = patternOfTone(tone.hz)
    if (pattern) {
        const label = $("sound-label")
        label.textContent = `♪ ${pattern.label}`
        label.dataset.sound = pattern.sound
        label.dataset.seq = String(++patterns)
        clearTimeout(soundTimer)
        soundTimer = setTimeout(() => {
            label.innerHTML = "&nbsp;"
            delete label.dataset.sound
        }, 2500)
        if (pattern.sound !== "key") logEvent(`buzzer: ${pattern.label}`, "buzzer")
    }
}

// ---- the lock's service ----

const NAMES: { [reg: string]: string } = {
    lock_state: "st-state",
    operating_mode: "st-mode",
    failure_count: "st-failures",
    provisioned: "st-provisioned",
    store_lost: "st-store-lost",
}

function lockoutLeft(now = performance.now()): number {
    const v = view.lock.values.lockout_remaining
    const at = view.lock.readAt.lockout_remaining
    return typeof v === "number" && at !== undefined ? remainingNow(v, at, now) : 0
}

function drawStatus() {
    const { present, values } = view.lock
    const note = $("service-note")
    if (!present) {
        for (const id of [...Object.values(NAMES), "st-lockout"]) $(id).textContent = "—"
        note.hidden = false
        note.textContent = !view.lockSpec
            ? "This firmware has no Latchkey service (services/latchkey.md): the lock's state cannot be shown. The firmware console below is all it reports."
            : view.vm === "running"
              ? "Waiting for the lock's service on the bus…"
              : "The lock's service is off the bus while the VM is not running."
    } else {
        note.hidden = true
        for (const [reg, id] of Object.entries(NAMES)) {
            const v = values[reg]
            $(id).textContent = v === undefined ? "…" : typeof v === "boolean" ? (v ? "yes" : reg === "provisioned" ? "no (setup mode)" : "no") : String(v)
        }
    }
    drawScreen()
}

function drawScreen() {
    const { present, values } = view.lock
    const screen = $("screen")
    const state = present ? values.lock_state : undefined
    const left = present ? lockoutLeft() : 0
    const lockout = $("lockout")
    lockout.hidden = !(left > 0)
    lockout.dataset.remainingMs = String(Math.round(left))
    $("lockout-time").textContent = formatCountdown(left)
    $("st-lockout").textContent = present ? (left > 0 ? `${formatCountdown(left)} left` : "none") : "—"
    let text: string
    let led: string
    if (view.vm !== "running") {
        text = view.vm === "booting" ? "starting…" : view.vm === "crashed" ? "FIRMWARE CRASHED" : "NO POWER"
        led = view.vm === "crashed" ? "red blink" : "dark"
    } else if (!present) {
        text = view.lockSpec ? "…" : "firmware running"
        led = "dark"
    } else if (values.provisioned === false) {
        // a lock that lost its store is not a new one: the page says so
        text = values.store_lost === true ? "STORE LOST · SETUP: press PROG" : "SETUP: press PROG"
        led = "amber"
    } else {
        text = String(state ?? "…").toUpperCase()
        led = state === "Unlocked" ? "green" : left > 0 ? "red blink" : "red"
    }
    $("screen-state").textContent = text
    $("led").className = `led ${led}`
    screen.dataset.state = String(state ?? "")
    const detail = present && typeof values.failure_count === "number" ? `failures ${values.failure_count} · mode ${values.operating_mode ?? "…"}` : "\u00a0"
    $("screen-detail").textContent = detail
}

// ---- the network: the simulator's broker and the lock's link to it ----

$("broker-toggle").addEventListener("click", () => {
    if (view.net.broker !== null) link.send({ t: "broker", action: view.net.brokerUp ? "down" : "up" })
})

function drawNet() {
    const net = view.net
    const badge = linkBadge(net)
    const el = $("net-link")
    el.textContent = `link ${badge.text}`
    el.className = `badge ${badge.cls}`
    const panel = $("net")
    panel.dataset.link = net.link
    panel.dataset.broker = net.broker === null ? "none" : net.brokerUp ? "up" : "down"
    $("net-detail").textContent = net.detail ?? ""
    $("net-broker").textContent = net.broker === null ? "none: started with --no-broker" : `${net.broker} · ${net.brokerUp ? "up" : "DOWN"}`
    const toggle = $<HTMLButtonElement>("broker-toggle")
    toggle.hidden = net.broker === null
    toggle.disabled = !view.connected
    toggle.textContent = net.brokerUp ? "Take the broker down" : "Bring the broker up"
    $("net-cli").textContent = net.companion
        ? `The companion over MQTT (enrolled over the bus first)${net.lockId ? `, lock id ${net.lockId}` : ""}:`
        : net.broker === null
          ? "The firmware runs without the network: the companion reaches it over the bus only."
          : ""
    const cmd = $("net-cmd")
    cmd.textContent = net.companion ?? ""
    cmd.hidden = !net.companion
}

// ---- the VM and the connection ----

function drawVm() {
    const vm = $("vm")
    const text: { [s in VmState]: string } = {
        off: "VM off (power cut)",
        booting: "VM booting…",
        running: `VM running · ${view.firmware}`,
        crashed: "VM CRASHED",
    }
    vm.textContent = text[view.vm] + (view.boots > 1 ? ` · boot ${view.boots}` : "")
    vm.className = `badge ${view.vm}`
    vm.title = view.vmDetail ?? "The DeviceScript VM running the firmware"
    $("power-led").className = `led ${view.vm === "off" ? "dark" : view.vm === "crashed" ? "red blink" : "green"}`
    document.body.dataset.vm = view.vm
    drawStatus()
    updateReady()
}

function drawLink() {
    const el = $("link")
    el.textContent = view.connected
        ? "connected"
        : view.refused
          ? "refused: open the URL the simulator printed (each run has its own token)"
          : "simulator not reachable: retrying…"
    el.className = `badge ${view.connected ? "running" : "crashed"}`
    document.body.classList.toggle("disconnected", !view.connected)
    updateReady()
}

/** Usable: connected, firmware running, latch seen, and the lock's service seen if it has one. */
function updateReady() {
    const ready = view.specsLoaded && view.connected && view.vm === "running" && view.angle !== undefined && (!view.lockSpec || view.lock.present)
    document.body.dataset.ready = String(ready)
}

function onMessage(m: ServerMessage) {
    switch (m.t) {
        case "hello":
            view.profile = m.profile
            view.firmware = m.firmware
            $("profile-name").textContent = `${m.profile.name} · ${m.firmware}`
            if (!document.querySelector(".key")) buildKeypad(m.profile.labels)
            drawLatch()
            break
        case "vm": {
            const was = view.vm
            view.vm = m.state
            view.vmDetail = m.detail
            view.boots = m.boots
            if (was !== m.state) {
                const what: { [s in VmState]: string } = {
                    off: "power cut: the VM stopped",
                    booting: `power on: the VM boots (boot ${m.boots})`,
                    running: "firmware running",
                    crashed: `FIRMWARE CRASHED${m.detail ? ": " + m.detail : ""}`,
                }
                logEvent(`board: ${what[m.state]}`, m.state === "crashed" ? "alarm" : "board")
            }
            drawVm()
            break
        }
        case "console":
            addLine("console", m.line, m.line.startsWith("> ") ? "fw" : m.line.startsWith("sim:") ? "sim" : undefined, 400)
            break
        case "net": {
            const { t: _t, ...net } = m
            if (net.link !== view.net.link && net.broker !== null) logEvent(`network: link ${linkBadge(net).text}${net.detail ? ` (${net.detail})` : ""}`, "board")
            if (net.brokerUp !== view.net.brokerUp && net.broker !== null) logEvent(`network: broker ${net.brokerUp ? "up" : "down"}`, "board")
            view.net = net
            drawNet()
            break
        }
        case "door":
            view.doorOpen = m.open
            $("door-toggle").textContent = m.open ? "Close the door" : "Open the door"
            $("door-state").textContent = m.open ? "door open (sensor: magnet away)" : "door closed (sensor: magnet near)"
            $("door").classList.toggle("open", m.open)
            document.body.dataset.door = m.open ? "open" : "closed"
            break
    }
}

const link = new BoardLink(bus, `ws://${location.host}${withToken("/bus")}`, {
    onMessage,
    async isRefused() {
        return (await fetch(withToken("/services.json"))).status === 403
    },
    onRefused() {
        view.refused = true
        drawLink()
    },
    onConnection(connected) {
        view.connected = connected
        drawNet()
        if (!connected) {
            view.vm = "off"
            drawVm()
        }
        drawLink()
    },
})

new PeripheralWatcher(bus, {
    onLatch(angle, enabled) {
        view.angle = angle
        view.servoOn = enabled
        drawLatch()
        updateReady()
    },
    onTone,
})

new LockServiceReader(bus, {
    onStatus(status) {
        if (status.present !== view.lock.present)
            logEvent(status.present ? "lock service: on the bus" : "lock service: gone from the bus", "board")
        view.lock = status
        drawStatus()
        updateReady()
    },
    onEvent(ev) {
        logEvent(`lock: ${describeLockEvent(ev)}`, ev.name === "door_lock_alarm" ? "alarm" : "lock")
    },
})

// the live countdown between readings of the lockout register
setInterval(drawScreen, 100)

async function loadSpecs() {
    try {
        const specs = (await (await fetch(withToken("/services.json"))).json()) as jdspec.ServiceSpec[]
        if (specs.length) bus.setCustomServiceSpecifications(specs)
        view.lockSpec = specs.some(s => s.shortId === "latchkey")
    } catch {
        view.lockSpec = false
    }
    view.specsLoaded = true
    drawStatus()
    updateReady()
}

void loadSpecs()
bus.start()
drawLink()
drawVm()
drawLatch()
drawNet()
