"""newsrag's chat page: a thin Gradio layer over `rag.Engine` (`ui.app`), and the pure functions
that turn an Answer into what the page shows (`ui.render`). Importing it loads nothing heavy."""
