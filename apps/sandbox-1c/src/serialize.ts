import { defaultValue } from "./coerce";
import { EDM_TYPES, rowFields, type EntitySetSpec, type FieldSpec, type TabularSpec } from "./metadata";

/**
 * Wire forms of objects: the JSON the platform sends (Int64 as a string, tabular parts inline,
 * `<Attr>@navigationLinkUrl` for each reference at the end), a minimal Atom form for requests
 * without `$format=json`, and a small EDMX `$metadata`.
 */

type Json = Record<string, unknown>;

function wireValue(field: FieldSpec, value: unknown): unknown {
  // Edm.Int64 goes out as a JSON string.
  if (field.type === "int64") return String(value ?? 0);
  return value;
}

function serializeRow(part: TabularSpec, ref: string, row: Record<string, unknown>): Json {
  const out: Json = { Ref_Key: ref, LineNumber: String(row.LineNumber) };
  for (const field of part.fields) out[field.name] = wireValue(field, row[field.name]);
  return out;
}

function isReference(field: FieldSpec): boolean {
  return field.type === "guid" && field.name !== "Ref_Key" && field.name.endsWith("_Key");
}

/** One object as the platform returns it; `select` limits the properties (null = all). */
export function serializeObject(spec: EntitySetSpec, data: Record<string, unknown>, select: readonly string[] | null = null): Json {
  const ref = String(data.Ref_Key);
  const wanted = (name: string): boolean => select === null || select.includes(name);
  const out: Json = {};
  let partsWritten = false;
  const writeParts = (): void => {
    partsWritten = true;
    for (const part of spec.tabular) {
      if (!wanted(part.name)) continue;
      const rows = (data[part.name] as Record<string, unknown>[] | undefined) ?? [];
      out[part.name] = rows.map((row) => serializeRow(part, ref, row));
    }
  };
  for (const field of spec.fields) {
    if (field.name === "Predefined" && !partsWritten) writeParts();
    // An attribute added later (an extension installed over existing data) reads as its empty value.
    if (wanted(field.name)) out[field.name] = wireValue(field, data[field.name] ?? defaultValue(field));
  }
  if (!partsWritten) writeParts();
  if (select === null) {
    for (const field of spec.fields.filter(isReference)) {
      const nav = field.name.slice(0, -"_Key".length);
      out[`${nav}@navigationLinkUrl`] = `${spec.name}(guid'${ref}')/${nav}`;
    }
  }
  return out;
}

/** A row of a tabular-part set (`Document_ЗаказКлиента_Товары`). */
export function serializeTabularRow(part: TabularSpec, ref: string, row: Record<string, unknown>, select: readonly string[] | null): Json {
  const full = serializeRow(part, ref, row);
  if (select === null) return full;
  return Object.fromEntries(Object.entries(full).filter(([k]) => select.includes(k)));
}

// ---------------------------------------------------------------------------------------------
// Atom (answer when $format=json is missing)

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const ATOM_NS =
  'xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"';

function atomProperties(obj: Json): string {
  return Object.entries(obj)
    .filter(([k]) => !k.includes("@"))
    .map(([k, v]) => {
      if (Array.isArray(v)) {
        const rows = v.map((row: Json) => `<d:element m:type="StandardODATA.RowType">${atomProperties(row)}</d:element>`).join("");
        return `<d:${k} m:type="Collection(StandardODATA.RowType)">${rows}</d:${k}>`;
      }
      if (typeof v === "boolean") return `<d:${k} m:type="Edm.Boolean">${v}</d:${k}>`;
      if (typeof v === "number") return `<d:${k} m:type="Edm.Double">${v}</d:${k}>`;
      return `<d:${k}>${xmlEscape(String(v ?? ""))}</d:${k}>`;
    })
    .join("");
}

function atomEntry(base: string, set: string, obj: Json, updated: string): string {
  const id = `${base}${set}(guid'${String(obj.Ref_Key)}')`;
  return `<entry><id>${xmlEscape(id)}</id><category term="StandardODATA.${xmlEscape(set)}" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"/><title type="text"/><updated>${updated}</updated><author/><content type="application/xml"><m:properties>${atomProperties(obj)}</m:properties></content></entry>`;
}

export function atomFeed(base: string, set: string, objects: Json[], count: number | null): string {
  const updated = new Date().toISOString();
  const countXml = count === null ? "" : `<m:count>${count}</m:count>`;
  return `<?xml version="1.0" encoding="UTF-8"?><feed ${ATOM_NS} xml:base="${xmlEscape(base)}"><id>${xmlEscape(base + set)}</id><title type="text">${xmlEscape(set)}</title><updated>${updated}</updated><author/>${countXml}${objects.map((o) => atomEntry(base, set, o, updated)).join("")}</feed>`;
}

export function atomSingle(base: string, set: string, obj: Json): string {
  const entry = atomEntry(base, set, obj, new Date().toISOString());
  return `<?xml version="1.0" encoding="UTF-8"?>${entry.replace("<entry>", `<entry ${ATOM_NS} xml:base="${xmlEscape(base)}">`)}`;
}

export function xmlError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><m:error xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><m:code>${xmlEscape(code)}</m:code><m:message xml:lang="ru">${xmlEscape(message)}</m:message></m:error>`;
}

// ---------------------------------------------------------------------------------------------
// $metadata

function propertyXml(field: FieldSpec): string {
  const nullable = field.name === "Ref_Key" || field.name === "LineNumber" ? ' Nullable="false"' : "";
  return `<Property Name="${field.name}" Type="${EDM_TYPES[field.type]}"${nullable}/>`;
}

export function metadataXml(published: ReadonlyMap<string, EntitySetSpec>): string {
  const types: string[] = [];
  const sets: string[] = [];
  const functions: string[] = [];
  for (const spec of published.values()) {
    const rowTypes = spec.tabular.map(
      (part) =>
        `<ComplexType Name="${spec.name}_${part.name}_RowType">${rowFields(part).map(propertyXml).join("")}</ComplexType>` +
        `<EntityType Name="${part.setName}"><Key><PropertyRef Name="Ref_Key"/><PropertyRef Name="LineNumber"/></Key>${rowFields(part).map(propertyXml).join("")}</EntityType>`,
    );
    types.push(...rowTypes);
    const parts = spec.tabular.map((p) => `<Property Name="${p.name}" Type="Collection(StandardODATA.${spec.name}_${p.name}_RowType)" Nullable="false"/>`);
    types.push(`<EntityType Name="${spec.name}"><Key><PropertyRef Name="Ref_Key"/></Key>${spec.fields.map(propertyXml).join("")}${parts.join("")}</EntityType>`);
    sets.push(`<EntitySet Name="${spec.name}" EntityType="StandardODATA.${spec.name}"/>`);
    for (const part of spec.tabular) sets.push(`<EntitySet Name="${part.setName}" EntityType="StandardODATA.${part.setName}"/>`);
    if (spec.kind === "Document") {
      for (const name of ["Post", "Unpost"]) {
        const mode = name === "Post" ? '<Parameter Name="PostingModeOperational" Type="Edm.Boolean"/>' : "";
        functions.push(
          `<FunctionImport Name="${name}" IsBindable="true" IsSideEffecting="true"><Parameter Name="bindingParameter" Type="StandardODATA.${spec.name}"/>${mode}</FunctionImport>`,
        );
      }
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?><edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0"><edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" m:DataServiceVersion="3.0"><Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA">${types.join("")}<EntityContainer Name="InfoBase" m:IsDefaultEntityContainer="true">${sets.join("")}${functions.join("")}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`;
}
