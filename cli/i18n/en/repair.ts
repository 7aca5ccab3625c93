export default {
  'repair.description': 'repair a damaged state database: copy it aside, rebuild what still reads, drop records that do not open, and say what was lost',
  'repair.intact': 'the state database {path} opens whole: nothing to repair',
  'repair.done': 'repaired {path}: {kept} records kept; the damaged copy is in {backup}',
  'repair.dropped': 'records dropped because they did not open: {dropped}',
  'repair.log': 'lost: the records written in the log at {where}',
  'repair.next': 'check with oht ls and oht pins check; share again what is missing (its files are where they were), then delete the damaged copy'
}
