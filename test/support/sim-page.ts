/**
 * The simulator page in a real browser, for the end-to-end tests: a headless Chromium found and
 * launched by host/chromium.ts, the page opened at the simulator's address, its errors collected,
 * and the few ways the tests use it: keys typed on the computer keyboard, the buzzer's answers,
 * an element's text.
 */
import type { Page } from "playwright-core"
import { launchChromium, type LaunchedBrowser } from "../../host/chromium"

/** The little of the DOM that the functions run inside the page use (this file is type-checked for Node). */
declare const document: {
    getElementById(id: string): { textContent: string | null; dataset: { [k: string]: string | undefined } } | null
}

/** The buzzer patterns that answer a typed code. */
const ANSWERS = ["success", "failure", "lockout", "step"]

export interface SimPage {
    browser: LaunchedBrowser
    page: Page
    /** The page's uncaught errors, as they come. */
    pageErrors: string[]
    /** Presses keys on the computer keyboard (the page turns each into keypad down/up events). */
    type(keys: string): Promise<void>
    /** How many sounds the page has shown so far: a mark for `answer`. */
    soundSeq(): Promise<number>
    /** Waits for the buzzer pattern that answers what was typed after `mark`, among `answers`. */
    answer(mark: number, answers?: string[]): Promise<string>
    /** Types `code#` and returns the buzzer's answer. */
    attempt(code: string): Promise<string>
    /** The trimmed text of the element `sel`. */
    text(sel: string): Promise<string>
    /** Presses and holds the inside program button with the mouse (200 ms). */
    holdProgramButton(): Promise<void>
}

/**
 * Launches Chromium (with `extraArgs` after the usual flags), opens the simulator page at `url`
 * and collects its errors; `browser.close()` ends it. `waitMs`: how long `answer` waits.
 */
export async function openSimPage(url: string, waitMs: number, extraArgs: string[] = []): Promise<SimPage> {
    const browser = await launchChromium(extraArgs)
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on("pageerror", e => pageErrors.push(e.message))
    await page.goto(url)

    const type = async (keys: string) => {
        for (const k of keys) {
            await page.keyboard.down(k)
            await page.waitForTimeout(60)
            await page.keyboard.up(k)
            await page.waitForTimeout(60)
        }
    }
    const soundSeq = async () => Number((await page.getAttribute("#sound-label", "data-seq")) ?? 0)
    const answer = async (mark: number, answers = ANSWERS): Promise<string> => {
        const handle = await page.waitForFunction(
            ([mark, answers]) => {
                const el = document.getElementById("sound-label")!
                const sound = el.dataset.sound
                return Number(el.dataset.seq ?? 0) > (mark as number) && sound && (answers as string[]).includes(sound) ? sound : false
            },
            [mark, answers] as const,
            { timeout: waitMs, polling: 20 },
        )
        return (await handle.jsonValue()) as string
    }
    const attempt = async (code: string) => {
        const mark = await soundSeq()
        await type(code + "#")
        return answer(mark)
    }
    const text = async (sel: string) => ((await page.textContent(sel)) ?? "").trim()
    const holdProgramButton = async () => {
        await page.locator("#program").hover()
        await page.mouse.down()
        await page.waitForTimeout(200)
        await page.mouse.up()
    }
    return { browser, page, pageErrors, type, soundSeq, answer, attempt, text, holdProgramButton }
}
