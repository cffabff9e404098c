/**
 * The CLI's `backup` and `restore` verbs (./backup.ts does the work): their arguments and their
 * printed answers, kept apart from ./cli.ts.
 */
import type { LatchkeyClient } from "../host/lock-client"
import { backupLock, readPassphrase, restoreLock } from "./backup"
import type { KeyStore } from "./keyfile"

export const BACKUP_COMMANDS = ["backup", "restore"]

/** What is wrong with the arguments of `backup` / `restore`, or null. */
export function checkBackupArgs(command: string, args: string[]): string | null {
    if (args.length !== 1 || !args[0]) return `${command} takes one FILE`
    return null
}

/**
 * A backup or restore carries the device key: over the Jacdac bus only (USB, or the simulator's
 * TCP bus), never over a broker, whatever transport option the CLI has (`--mqtt...`). Checked
 * before the options are parsed.
 */
export function brokerRefusal(argv: string[]): string | null {
    if (!argv.some(a => BACKUP_COMMANDS.includes(a))) return null
    const broker = argv.find(a => /^--mqtt/.test(a))
    return broker ? `backup and restore go over the bus only (USB or the simulator's TCP bus), never a broker: ${broker} refused` : null
}

/** Runs `backup FILE` or `restore FILE`. */
export async function runBackupCommand(
    o: { command: string; args: string[]; timeoutMs: number; replaceBoard?: boolean },
    client: LatchkeyClient,
    store: KeyStore,
): Promise<{ text: string; data: object }> {
    const file = o.args[0]
    if (o.command === "backup") {
        const r = await backupLock(client, file, () => readPassphrase(true), o.timeoutMs)
        return {
            text: `lock ${r.lock} backed up to ${file} (${r.settings} settings: ${r.userChunks} user chunk(s), ${r.companionRecords} companion record(s)), encrypted under your passphrase; keep it and the passphrase apart`,
            data: r,
        }
    }
    const r = await restoreLock(client, store, { file, replaceBoard: !!o.replaceBoard, timeoutMs: o.timeoutMs }, () => readPassphrase(false))
    const board = r.from !== r.lock ? ` onto replacement board ${r.lock}${r.keyMoved ? " (this computer's companion key moved to it)" : ""}` : ""
    return {
        text: `backup of ${r.createdAt} restored${board}: the lock restarted set up; every code and companion key of the backup works again (StoreRestored is in the audit log)`,
        data: r,
    }
}
