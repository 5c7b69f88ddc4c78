// CodeMirror's light theme in our colours (app.css's --code-* variables); dark is One Dark.
// Shared by the room's editor and the assessment page's.
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorView } from "@codemirror/view";

export const lightTheme = [
  EditorView.theme({
    "&": { backgroundColor: "var(--code-background)", color: "var(--code-text)" },
    ".cm-gutters": {
      backgroundColor: "var(--code-gutter)",
      color: "var(--code-muted)",
      borderRight: "1px solid var(--code-border)",
    },
    ".cm-activeLine": { backgroundColor: "var(--code-active-line)" },
    ".cm-activeLineGutter": { backgroundColor: "var(--code-active-line)" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--code-text)" },
  }),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
];
