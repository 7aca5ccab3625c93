export default {
  'repair.description': 'eine beschädigte Zustandsdatenbank reparieren: beiseite kopieren, wiederherstellen, was noch lesbar ist, Einträge verwerfen, die sich nicht öffnen lassen, und sagen, was verloren ging',
  'repair.intact': 'die Zustandsdatenbank {path} öffnet sich vollständig: nichts zu reparieren',
  'repair.done': '{path} repariert: {kept} Einträge behalten; die beschädigte Kopie liegt in {backup}',
  'repair.dropped': 'verworfene Einträge, die sich nicht öffnen ließen: {dropped}',
  'repair.log': 'verloren: die Einträge, die im Log bei {where} standen',
  'repair.next': 'mit oht ls und oht pins check prüfen; Fehlendes erneut teilen (die Dateien liegen, wo sie lagen), dann die beschädigte Kopie löschen'
}
