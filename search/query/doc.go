// Package query parses what people type into Quire's search bar.
//
// # The query language
//
// Type words to search for them. Add filters as key:value anywhere:
//
//	crispr off-target year:2018..2022 field:q-bio.GN author:"Doudna" -venue:arXiv
//
// Words and "quoted phrases" are searched in titles, abstracts and full
// text; papers containing a quoted phrase exactly rank higher. A word
// starting with - is passed to the search engine as typed.
//
// Filters:
//
//	year:2019          published in 2019          (alias y)
//	year:2018..2022    from 2018 to 2022, inclusive
//	year:2018..        2018 or later; also year:>=2018, and year:>2017
//	year:..2015        2015 or earlier; also year:<=2015, and year:<2016
//	field:q-bio.GN     broad field or category    (aliases fields, f)
//	category:cs.CL     category code only         (aliases categories, cat, c)
//	venue:Nature       journal or conference      (aliases journal, v)
//	author:Doudna      author                     (aliases authors, a)
//	source:arxiv       collection                 (alias src)
//	id:2101.00001      paper identifier
//	doi:10.1038/x      DOI
//
// Keys ignore case. Quote values with spaces or commas: author:"Jennifer
// Doudna". Inside quotes, write \" for a quote and \\ for a backslash.
//
// A comma means "or": field:cs.CL,cs.CV finds papers in either. Repeating
// a key means "and" where a paper can have several values (author, field,
// category): author:Doudna author:Charpentier finds papers by both. For
// keys with one value per paper (year, venue, source, id, doi) repeating
// means "or" too, since "and" could never match.
//
// Put - before a filter to exclude: -venue:arXiv drops arXiv papers, and
// -author:a,b drops papers by either.
//
// Put = after the colon to match a value exactly as the facets list it,
// case included: author:="Yang Liu" finds the papers the author facet
// counts for Yang Liu, where author:"Yang Liu" finds every paper with a
// Yang and a Liu among its authors. Lists and exclusions work the same:
// venue:="Phys. Rev. D","Phys. Rev. B", -category:=cs.CL. Facet clicks
// make exact filters (ToggleExact, ExactFilter).
//
// Text that only looks like a filter stays text: "COVID-19: review" and
// web addresses are searched as words, and so is a one-letter alias with
// nothing after its colon ("Part A: results"). A key with nothing after
// its colon (author:, id:) is an error, and so is a word within a typo or
// two of a key (yaer:2025: "did you mean year:?"); write yaer\: or put the
// word in quotes to search it as text. Mistakes in a filter's value, such
// as year:20x8, or a quote left open, are reported with their column.
// Queries longer than MaxQueryBytes, or with more than MaxFilterItems
// filter values, are refused.
//
// # For programs
//
// Parse returns a Query; Query.String gives it back in canonical form,
// which Parse reads back to the same Query. WithFilter, Without, Toggle and
// Has edit queries for chips and facets; CompletionAt tells the search bar
// what the cursor is completing. Keys, KeyHelp and Aliases feed help.
package query
