"""The views: what is drawn and exported (the styled graph view, the offline HTML page, exports, images,
lessons and their pages, query results on screen, the notebook display). Built on the KnowledgeGraph.
"""

__all__: list[str] = []  # a stage folder; its modules export their own names
