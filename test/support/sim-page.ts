/**
 * The simulator page in a real browser, for the end-to-end tests: a headless Chromium found and
 * launched by host/chromium.ts, the page opened at the simulator's address, its errors collected,
 * and the few ways the tests use it: a code typed on the computer keyboard and the buzzer's answer,
 * an element's text, a master code set up at the door.
 */
import type { Page } from "playwright-core"
import { expect } from "vitest"
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
    /** Types `code#` and returns the buzzer's answer. */
    attempt(code: string): Promise<string>
    /** The trimmed text of the element `sel`. */
    text(sel: string): Promise<string>
    /** Sets up `code` as the master code at the door (the program button, then the code twice) and waits for the page to show the lock set up. */
    setUpMaster(code: string): Promise<void>
}

/**
 * Launches Chromium (with `extraArgs` after the usual flags), opens the simulator page at `url`
 * and collects its errors; `browser.close()` ends it. `waitMs`: how long an answer is waited for.
 */
export async function openSimPage(url: string, waitMs: number, extraArgs: string[] = []): Promise<SimPage> {
    const browser = await launchChromium(extraArgs)
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on("pageerror", e => pageErrors.push(e.message))
    await page.goto(url)

    /** Presses keys on the computer keyboard (the page turns each into keypad down/up events). */
    const type = async (keys: string) => {
        for (const k of keys) {
            await page.keyboard.down(k)
            await page.waitForTimeout(60)
            await page.keyboard.up(k)
            await page.waitForTimeout(60)
        }
    }
    /** How many sounds the page has shown so far: a mark for `answer`. */
    const soundSeq = async () => Number((await page.getAttribute("#sound-label", "data-seq")) ?? 0)
    /** Waits for the buzzer pattern that answers what was typed after `mark`. */
    const answer = async (mark: number): Promise<string> => {
        const handle = await page.waitForFunction(
            ([mark, answers]) => {
                const el = document.getElementById("sound-label")!
                const sound = el.dataset.sound
                return Number(el.dataset.seq ?? 0) > (mark as number) && sound && (answers as string[]).includes(sound) ? sound : false
            },
            [mark, ANSWERS] as const,
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
    /** Presses and holds the inside program button with the mouse (200 ms). */
    const holdProgramButton = async () => {
        await page.locator("#program").hover()
        await page.mouse.down()
        await page.waitForTimeout(200)
        await page.mouse.up()
    }
    const setUpMaster = async (code: string) => {
        const mark = await soundSeq()
        await holdProgramButton()
        expect(await answer(mark)).toBe("step")
        expect(await attempt(code)).toBe("step")
        expect(await attempt(code)).toBe("success")
        await page.waitForFunction(() => document.getElementById("st-provisioned")?.textContent === "yes", null, { timeout: waitMs })
    }
    return { browser, page, pageErrors, attempt, text, setUpMaster }
}
