/** Issue custom fields: created through `rails runner` (REST cannot), enabled per project over REST. */
import { runRails } from './process';
import { redmineRequest } from './request';
import type { CustomFieldFormat, Redmine, RmCustomField, RmRef } from './types';

const CUSTOM_FIELD_RUBY = `
require "json"
name = ENV.fetch("TB_CF_NAME")
format = ENV.fetch("TB_CF_FORMAT")
cf = IssueCustomField.find_by(name: name)
if cf
  raise "custom field #{name} exists with format #{cf.field_format}" if cf.field_format != format
else
  cf = IssueCustomField.new(name: name, field_format: format)
  cf.is_for_all = ENV["TB_CF_FOR_ALL"] == "1"
  cf.is_filter = true
  cf.visible = true
  cf.searchable = %w(string text).include?(format)
end
values = ENV["TB_CF_VALUES"].to_s
cf.possible_values = JSON.parse(values) unless values.empty?
cf.multiple = ENV["TB_CF_MULTIPLE"] == "1" if cf.new_record? && format == "list"
tracker_ids = ENV["TB_CF_TRACKERS"].to_s.split(",").map(&:to_i)
trackers = tracker_ids.empty? ? Tracker.all.to_a : Tracker.where(id: tracker_ids).to_a
cf.trackers = (cf.trackers.to_a | trackers)
project = ENV["TB_CF_PROJECT"].to_s
unless project.empty?
  p = Project.find(project)
  cf.projects = (cf.projects.to_a | [p])
end
cf.save!
puts "TB_CF=" + { id: cf.id, name: cf.name, field_format: cf.field_format }.to_json
`;

/**
 * Creates (or reuses, by name) an issue custom field through `rails runner` — Redmine's REST API
 * cannot create custom fields — enabled for the given trackers (default all) and, if given, the
 * project. `forAll` makes it apply to every project. Takes ~5 s (Rails boot).
 */
export async function createCustomField(
  _r: Redmine,
  options: {
    name: string;
    format: CustomFieldFormat;
    project?: string;
    trackers?: number[];
    possibleValues?: string[];
    multiple?: boolean;
    forAll?: boolean;
  },
): Promise<RmCustomField> {
  const out = await runRails(CUSTOM_FIELD_RUBY, {
    TB_CF_NAME: options.name,
    TB_CF_FORMAT: options.format,
    TB_CF_FOR_ALL: options.forAll ? '1' : '0',
    TB_CF_VALUES: options.possibleValues ? JSON.stringify(options.possibleValues) : '',
    TB_CF_MULTIPLE: options.multiple ? '1' : '0',
    TB_CF_TRACKERS: (options.trackers ?? []).join(','),
    TB_CF_PROJECT: options.project ?? '',
  });
  const line = out.split('\n').find((l) => l.startsWith('TB_CF='));
  if (!line) throw new Error(`rails runner printed no custom field: ${out}`);
  return JSON.parse(line.slice('TB_CF='.length)) as RmCustomField;
}

/**
 * Enables an existing issue custom field for a project over REST (PUT /projects/{id}.json with
 * issue_custom_field_ids). The field must already be enabled for the issue's tracker.
 */
export async function enableCustomField(r: Redmine, project: string, fieldId: number): Promise<void> {
  const res = await redmineRequest<{ project: { issue_custom_fields?: RmRef[] } }>(
    r, 'GET', `/projects/${encodeURIComponent(project)}.json?include=issue_custom_fields`,
  );
  const ids = new Set((res.body.project.issue_custom_fields ?? []).map((f) => f.id));
  ids.add(fieldId);
  await redmineRequest(r, 'PUT', `/projects/${encodeURIComponent(project)}.json`, { project: { issue_custom_field_ids: [...ids] } });
}
