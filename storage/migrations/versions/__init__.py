"""One module per schema revision: never edited once released; add the next one."""
