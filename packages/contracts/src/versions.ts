/** `Concord-Schema` header values: `<type>/<version>`. A breaking change adds v2 beside v1. */
export const SchemaVersions = {
  change: "change/1",
  onecCommand: "onec-command/1",
  crmCommand: "crm-command/1",
  outcome: "outcome/1",
  deadLetter: "dead-letter/1",
} as const;
