"""The analysis: what changed in a document, and what the change means.

Pure work on values (``monitor.types``), no I/O of its own: ``analyse`` runs one check's
guard → parse → diff → classify; ``diff`` compares documents item by item; ``classify/``
names the change (category, severity, evidence); ``dates`` and ``deadlines`` read the dates
a text states; ``guard`` refuses error pages, ``ignore`` and ``feedback`` are the rules that
silence noise, ``template`` the blocks a site repeats on every page, ``limits`` the work one
check may do, ``deadline_groups`` one deadline stated by several sources.
"""
