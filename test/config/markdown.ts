/**
 * The little of Markdown the docs checks read: fenced code blocks, inline code spans, relative
 * links, the anchors GitHub gives headings, and shell words of a command line.
 */

export interface Code {
    /** The code's text: one line of a fenced block, or one inline code span. */
    text: string
    /** True for a line of a fenced block (a command shown as it is typed). */
    fenced: boolean
    line: number
}

/** The text with its fenced blocks blanked out (same line numbers), and the blocks' lines. */
function splitFences(text: string): { prose: string[]; fenced: Code[] } {
    const prose: string[] = []
    const fenced: Code[] = []
    let inFence = false
    text.split("\n").forEach((l, i) => {
        if (/^\s*```/.test(l)) {
            inFence = !inFence
            prose.push("")
        } else if (inFence) {
            fenced.push({ text: l, fenced: true, line: i + 1 })
            prose.push("")
        } else prose.push(l)
    })
    return { prose, fenced }
}

/** Every fenced line and every inline code span, in order of their blocks. */
export function codeOf(text: string): Code[] {
    const { prose, fenced } = splitFences(text)
    const spans: Code[] = []
    prose.forEach((l, i) => {
        for (const m of l.matchAll(/(`+)([^`]+?)\1/g)) spans.push({ text: m[2].trim(), fenced: false, line: i + 1 })
    })
    return [...fenced, ...spans]
}

/** Markdown links `[text](target)` outside code, with their line. */
export function linksOf(text: string): { target: string; line: number }[] {
    const out: { target: string; line: number }[] = []
    splitFences(text).prose.forEach((l, i) => {
        const bare = l.replace(/(`+)[^`]+?\1/g, "")
        for (const m of bare.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 })
    })
    return out
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-")
}

/** The anchors of a document's headings (a repeated heading gets -1, -2, ... as on GitHub). */
export function anchorsOf(text: string): Set<string> {
    const seen = new Map<string, number>()
    const out = new Set<string>()
    for (const l of splitFences(text).prose) {
        const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l)
        if (!m) continue
        const base = slug(m[1])
        const n = seen.get(base) ?? 0
        seen.set(base, n + 1)
        out.add(n === 0 ? base : `${base}-${n}`)
    }
    return out
}

/**
 * A command line split as a POSIX shell would split its words (quotes, backslashes), into the
 * commands of a pipeline or list (`|`, `&&`, `;`); an unquoted `#` starting a word ends the line.
 */
export function shellCommands(line: string): string[][] {
    const commands: string[][] = [[]]
    let word: string | null = null
    let quote = ""
    const end = () => {
        if (word !== null) commands[commands.length - 1].push(word)
        word = null
    }
    for (let i = 0; i < line.length; i++) {
        const c = line[i]
        if (quote) {
            if (c === quote) quote = ""
            else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i]
            else word += c
        } else if (c === "'" || c === '"') {
            quote = c
            word ??= ""
        } else if (c === "\\" && i + 1 < line.length) word = (word ?? "") + line[++i]
        else if (/\s/.test(c)) end()
        else if (c === "#" && word === null) break
        else if (c === "|" || c === ";" || c === "&") {
            end()
            if (line[i + 1] === c) i++
            commands.push([])
        } else word = (word ?? "") + c
    }
    end()
    return commands.filter(c => c.length > 0)
}
